/**
 * The one codec of Arrow types: an Arrow type, field or schema as a plain, deterministic JSON value
 * (object keys fixed, metadata sorted by key) and back, rebuilt as the same concrete Arrow type
 * classes (Arrow compares types by class). The pipeline graph describes its schemas with it, and the
 * direct runner moves batch schemas across threads and into checkpoints with it; it covers every type
 * a batch may carry at run time, dictionaries included. Which of these types a Beamline schema may
 * declare is `schema.ts`'s business, not this codec's.
 */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";

/** Arrow's time units by name, in the order of `arrow.TimeUnit`. */
const TIME_UNITS = ["s", "ms", "us", "ns"] as const;

/** A time unit by name: seconds, milliseconds, microseconds or nanoseconds. */
export type TimeUnitName = (typeof TIME_UNITS)[number];

/** A JSON-serializable, structured-cloneable description of an Arrow type. */
export type TypeJson =
  | { readonly id: "null" | "bool" | "utf8" | "large_utf8" | "binary" | "large_binary" | "float16" | "float32" | "float64" }
  | { readonly id: "int"; readonly bitWidth: 8 | 16 | 32 | 64; readonly signed: boolean }
  | { readonly id: "timestamp"; readonly unit: TimeUnitName; readonly timezone: string | null }
  | { readonly id: "date"; readonly unit: "day" | "ms" }
  | { readonly id: "time"; readonly unit: TimeUnitName }
  | { readonly id: "duration"; readonly unit: TimeUnitName }
  | { readonly id: "decimal"; readonly scale: number; readonly precision: number; readonly bitWidth: number }
  | { readonly id: "fixed_size_binary"; readonly byteWidth: number }
  | { readonly id: "list" | "large_list"; readonly item: FieldJson }
  | { readonly id: "fixed_size_list"; readonly listSize: number; readonly item: FieldJson }
  | { readonly id: "struct"; readonly fields: readonly FieldJson[] }
  | { readonly id: "map"; readonly entries: FieldJson; readonly keysSorted: boolean }
  | { readonly id: "dictionary"; readonly values: TypeJson; readonly indices: TypeJson; readonly dictionaryId: number; readonly ordered: boolean };

/** A JSON-serializable description of an Arrow field. */
export interface FieldJson {
  readonly name: string;
  readonly type: TypeJson;
  readonly nullable: boolean;
  /** Key-sorted field metadata; present only when non-empty. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A JSON-serializable, deterministic description of an Arrow schema. */
export interface SchemaJson {
  readonly fields: readonly FieldJson[];
  /** Key-sorted schema metadata; present only when non-empty. */
  readonly metadata?: Readonly<Record<string, string>>;
}

function metadataToJson(m: Map<string, string>): Record<string, string> | undefined {
  if (m.size === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}

function metadataFromJson(m: Readonly<Record<string, string>> | undefined): Map<string, string> {
  return new Map(m ? Object.keys(m).sort().map((k) => [k, m[k]]) : []);
}

function unsupported(type: unknown, where: string): SchemaError {
  return new SchemaError({
    code: "BL_ARROW_TYPE_UNSUPPORTED",
    where,
    value: String(type),
    rule: "Beamline cannot describe or move columns of this Arrow type (unions, intervals and other rare types)",
    fix: "convert the column to a supported type (numbers, strings, binary, bools, dates, times, timestamps, decimals, lists, structs, maps, dictionaries) where it is produced",
  });
}

/** The JSON form of an Arrow type. */
export function typeToJson(type: arrow.DataType): TypeJson {
  switch (type.typeId) {
    case arrow.Type.Null: return { id: "null" };
    case arrow.Type.Bool: return { id: "bool" };
    case arrow.Type.Utf8: return { id: "utf8" };
    case arrow.Type.LargeUtf8: return { id: "large_utf8" };
    case arrow.Type.Binary: return { id: "binary" };
    case arrow.Type.LargeBinary: return { id: "large_binary" };
    case arrow.Type.Float: {
      const p = (type as arrow.Float).precision;
      return { id: p === arrow.Precision.HALF ? "float16" : p === arrow.Precision.SINGLE ? "float32" : "float64" };
    }
    case arrow.Type.Int: {
      const i = type as arrow.Int;
      return { id: "int", bitWidth: i.bitWidth, signed: i.isSigned };
    }
    case arrow.Type.Timestamp: {
      const ts = type as arrow.Timestamp;
      return { id: "timestamp", unit: TIME_UNITS[ts.unit], timezone: ts.timezone ?? null };
    }
    case arrow.Type.Date: return { id: "date", unit: (type as arrow.Date_).unit === arrow.DateUnit.DAY ? "day" : "ms" };
    case arrow.Type.Time: return { id: "time", unit: TIME_UNITS[(type as arrow.Time).unit] };
    case arrow.Type.Duration: return { id: "duration", unit: TIME_UNITS[(type as arrow.Duration).unit] };
    case arrow.Type.Decimal: {
      const d = type as arrow.Decimal;
      return { id: "decimal", scale: d.scale, precision: d.precision, bitWidth: d.bitWidth };
    }
    case arrow.Type.FixedSizeBinary: return { id: "fixed_size_binary", byteWidth: (type as arrow.FixedSizeBinary).byteWidth };
    case arrow.Type.List: return { id: "list", item: fieldToJson((type as arrow.List).children[0]) };
    case arrow.Type.LargeList: return { id: "large_list", item: fieldToJson((type as arrow.LargeList).children[0]) };
    case arrow.Type.FixedSizeList: {
      const l = type as arrow.FixedSizeList;
      return { id: "fixed_size_list", listSize: l.listSize, item: fieldToJson(l.children[0]) };
    }
    case arrow.Type.Struct: return { id: "struct", fields: (type as arrow.Struct).children.map(fieldToJson) };
    case arrow.Type.Map: return { id: "map", entries: fieldToJson((type as arrow.Map_).children[0]), keysSorted: (type as arrow.Map_).keysSorted };
    case arrow.Type.Dictionary: {
      const d = type as arrow.Dictionary;
      return { id: "dictionary", values: typeToJson(d.dictionary), indices: typeToJson(d.indices), dictionaryId: d.id, ordered: d.isOrdered };
    }
    default:
      throw unsupported(type, "typeToJson");
  }
}

/** The concrete Arrow integer class for a width and signedness (type comparison checks the class). */
function intType(signed: boolean, bitWidth: number): arrow.Int {
  switch (bitWidth) {
    case 8: return signed ? new arrow.Int8() : new arrow.Uint8();
    case 16: return signed ? new arrow.Int16() : new arrow.Uint16();
    case 32: return signed ? new arrow.Int32() : new arrow.Uint32();
    default: return signed ? new arrow.Int64() : new arrow.Uint64();
  }
}

/** The name of an Arrow time unit: `s`, `ms`, `us` or `ns`. */
export function timeUnitName(unit: arrow.TimeUnit): TimeUnitName {
  return TIME_UNITS[unit];
}

function timeUnit(name: TimeUnitName): arrow.TimeUnit {
  return TIME_UNITS.indexOf(name) as arrow.TimeUnit;
}

/** Rebuilds an Arrow type from {@link typeToJson}'s output (the concrete subclasses, so that type comparisons hold). */
export function typeFromJson(j: TypeJson): arrow.DataType {
  switch (j.id) {
    case "null": return new arrow.Null();
    case "bool": return new arrow.Bool();
    case "utf8": return new arrow.Utf8();
    case "large_utf8": return new arrow.LargeUtf8();
    case "binary": return new arrow.Binary();
    case "large_binary": return new arrow.LargeBinary();
    case "float16": return new arrow.Float16();
    case "float32": return new arrow.Float32();
    case "float64": return new arrow.Float64();
    case "int": return intType(j.signed, j.bitWidth);
    case "timestamp": {
      const tz = j.timezone ?? undefined;
      switch (timeUnit(j.unit)) {
        case arrow.TimeUnit.SECOND: return new arrow.TimestampSecond(tz);
        case arrow.TimeUnit.MILLISECOND: return new arrow.TimestampMillisecond(tz);
        case arrow.TimeUnit.MICROSECOND: return new arrow.TimestampMicrosecond(tz);
        default: return new arrow.TimestampNanosecond(tz);
      }
    }
    case "date": return j.unit === "day" ? new arrow.DateDay() : new arrow.DateMillisecond();
    case "time":
      switch (timeUnit(j.unit)) {
        case arrow.TimeUnit.SECOND: return new arrow.TimeSecond();
        case arrow.TimeUnit.MILLISECOND: return new arrow.TimeMillisecond();
        case arrow.TimeUnit.MICROSECOND: return new arrow.TimeMicrosecond();
        default: return new arrow.TimeNanosecond();
      }
    case "duration":
      switch (timeUnit(j.unit)) {
        case arrow.TimeUnit.SECOND: return new arrow.DurationSecond();
        case arrow.TimeUnit.MILLISECOND: return new arrow.DurationMillisecond();
        case arrow.TimeUnit.MICROSECOND: return new arrow.DurationMicrosecond();
        default: return new arrow.DurationNanosecond();
      }
    case "decimal": return new arrow.Decimal(j.scale, j.precision, j.bitWidth);
    case "fixed_size_binary": return new arrow.FixedSizeBinary(j.byteWidth);
    case "list": return new arrow.List(fieldFromJson(j.item));
    case "large_list": return new arrow.LargeList(fieldFromJson(j.item));
    case "fixed_size_list": return new arrow.FixedSizeList(j.listSize, fieldFromJson(j.item));
    case "struct": return new arrow.Struct(j.fields.map(fieldFromJson));
    case "map": return new arrow.Map_(fieldFromJson(j.entries) as arrow.Field<arrow.Struct>, j.keysSorted);
    case "dictionary": return new arrow.Dictionary(typeFromJson(j.values), typeFromJson(j.indices) as arrow.Int32, j.dictionaryId, j.ordered);
    default: throw unsupported(JSON.stringify(j), "typeFromJson");
  }
}

/** The JSON form of an Arrow field. */
export function fieldToJson(f: arrow.Field): FieldJson {
  const metadata = metadataToJson(f.metadata);
  return { name: f.name, type: typeToJson(f.type), nullable: f.nullable, ...(metadata ? { metadata } : {}) };
}

/** Rebuilds an Arrow field from {@link fieldToJson}'s output. */
export function fieldFromJson(j: FieldJson): arrow.Field {
  return new arrow.Field(j.name, typeFromJson(j.type), j.nullable, metadataFromJson(j.metadata));
}

/** The JSON form of an Arrow schema, whatever types its fields hold. */
export function arrowSchemaToJson(s: arrow.Schema): SchemaJson {
  const metadata = metadataToJson(s.metadata);
  return { fields: s.fields.map(fieldToJson), ...(metadata ? { metadata } : {}) };
}

/** Rebuilds an Arrow schema from {@link arrowSchemaToJson}'s output. */
export function arrowSchemaFromJson(j: SchemaJson): arrow.Schema {
  return new arrow.Schema(j.fields.map(fieldFromJson), metadataFromJson(j.metadata));
}
