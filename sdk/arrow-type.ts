/**
 * Arrow types and schemas as structured-cloneable values, so a batch's schema can cross a thread
 * boundary and be rebuilt as the same concrete Arrow type classes (Arrow compares types by class).
 * Unlike the graph's schema JSON, this covers every type a batch may carry at run time, dictionaries
 * included.
 */
import * as arrow from "apache-arrow";
import { BeamlineError } from "./errors";

/** A cloneable Arrow type. */
export type WireType =
  | { readonly t: "null" | "bool" | "utf8" | "large_utf8" | "binary" | "large_binary" }
  | { readonly t: "float"; readonly precision: number }
  | { readonly t: "int"; readonly bitWidth: number; readonly signed: boolean }
  | { readonly t: "timestamp"; readonly unit: number; readonly timezone: string | null }
  | { readonly t: "date"; readonly unit: number }
  | { readonly t: "time"; readonly unit: number; readonly bitWidth: number }
  | { readonly t: "duration"; readonly unit: number }
  | { readonly t: "decimal"; readonly scale: number; readonly precision: number; readonly bitWidth: number }
  | { readonly t: "fixed_size_binary"; readonly byteWidth: number }
  | { readonly t: "list" | "large_list"; readonly child: WireField }
  | { readonly t: "fixed_size_list"; readonly listSize: number; readonly child: WireField }
  | { readonly t: "struct"; readonly children: readonly WireField[] }
  | { readonly t: "map"; readonly child: WireField; readonly keysSorted: boolean }
  | { readonly t: "dictionary"; readonly values: WireType; readonly indices: WireType; readonly id: number; readonly ordered: boolean };

/** A cloneable Arrow field. */
export interface WireField {
  readonly name: string;
  readonly type: WireType;
  readonly nullable: boolean;
  readonly metadata: [string, string][];
}

function unsupported(type: arrow.DataType): BeamlineError {
  return new BeamlineError({
    code: "BL_THREAD_UNSUPPORTED_TYPE",
    value: String(type),
    rule: "batches of this Arrow type cannot cross threads in the direct runner",
    fix: "convert the column to a supported type (numbers, strings, binary, bool, dates, timestamps, lists, structs, maps, dictionaries) before a grouping step, or run with --parallelism=1",
  });
}

/** The cloneable form of an Arrow type. */
export function typeToWire(type: arrow.DataType): WireType {
  switch (type.typeId) {
    case arrow.Type.Null: return { t: "null" };
    case arrow.Type.Bool: return { t: "bool" };
    case arrow.Type.Utf8: return { t: "utf8" };
    case arrow.Type.LargeUtf8: return { t: "large_utf8" };
    case arrow.Type.Binary: return { t: "binary" };
    case arrow.Type.LargeBinary: return { t: "large_binary" };
    case arrow.Type.Float: return { t: "float", precision: (type as arrow.Float).precision };
    case arrow.Type.Int: return { t: "int", bitWidth: (type as arrow.Int).bitWidth, signed: (type as arrow.Int).isSigned };
    case arrow.Type.Timestamp: {
      const ts = type as arrow.Timestamp;
      return { t: "timestamp", unit: ts.unit, timezone: ts.timezone ?? null };
    }
    case arrow.Type.Date: return { t: "date", unit: (type as arrow.Date_).unit };
    case arrow.Type.Time: return { t: "time", unit: (type as arrow.Time).unit, bitWidth: (type as arrow.Time).bitWidth };
    case arrow.Type.Duration: return { t: "duration", unit: (type as arrow.Duration).unit };
    case arrow.Type.Decimal: {
      const d = type as arrow.Decimal;
      return { t: "decimal", scale: d.scale, precision: d.precision, bitWidth: d.bitWidth };
    }
    case arrow.Type.FixedSizeBinary: return { t: "fixed_size_binary", byteWidth: (type as arrow.FixedSizeBinary).byteWidth };
    case arrow.Type.List: return { t: "list", child: fieldToWire((type as arrow.List).children[0]) };
    case arrow.Type.LargeList: return { t: "large_list", child: fieldToWire((type as arrow.LargeList).children[0]) };
    case arrow.Type.FixedSizeList: {
      const l = type as arrow.FixedSizeList;
      return { t: "fixed_size_list", listSize: l.listSize, child: fieldToWire(l.children[0]) };
    }
    case arrow.Type.Struct: return { t: "struct", children: (type as arrow.Struct).children.map(fieldToWire) };
    case arrow.Type.Map: return { t: "map", child: fieldToWire((type as arrow.Map_).children[0]), keysSorted: (type as arrow.Map_).keysSorted };
    case arrow.Type.Dictionary: {
      const d = type as arrow.Dictionary;
      return { t: "dictionary", values: typeToWire(d.dictionary), indices: typeToWire(d.indices), id: d.id, ordered: d.isOrdered };
    }
    default:
      throw unsupported(type);
  }
}

function intType(signed: boolean, bitWidth: number): arrow.Int {
  switch (bitWidth) {
    case 8: return signed ? new arrow.Int8() : new arrow.Uint8();
    case 16: return signed ? new arrow.Int16() : new arrow.Uint16();
    case 32: return signed ? new arrow.Int32() : new arrow.Uint32();
    default: return signed ? new arrow.Int64() : new arrow.Uint64();
  }
}

/** Rebuilds an Arrow type (the concrete subclasses, so that type comparisons hold). */
export function typeFromWire(w: WireType): arrow.DataType {
  switch (w.t) {
    case "null": return new arrow.Null();
    case "bool": return new arrow.Bool();
    case "utf8": return new arrow.Utf8();
    case "large_utf8": return new arrow.LargeUtf8();
    case "binary": return new arrow.Binary();
    case "large_binary": return new arrow.LargeBinary();
    case "float":
      return w.precision === arrow.Precision.HALF ? new arrow.Float16() : w.precision === arrow.Precision.SINGLE ? new arrow.Float32() : new arrow.Float64();
    case "int": return intType(w.signed, w.bitWidth);
    case "timestamp": {
      const tz = w.timezone ?? undefined;
      switch (w.unit) {
        case arrow.TimeUnit.SECOND: return new arrow.TimestampSecond(tz);
        case arrow.TimeUnit.MILLISECOND: return new arrow.TimestampMillisecond(tz);
        case arrow.TimeUnit.MICROSECOND: return new arrow.TimestampMicrosecond(tz);
        default: return new arrow.TimestampNanosecond(tz);
      }
    }
    case "date": return w.unit === arrow.DateUnit.DAY ? new arrow.DateDay() : new arrow.DateMillisecond();
    case "time": return new arrow.Time(w.unit, w.bitWidth as 32 | 64);
    case "duration": return new arrow.Duration(w.unit);
    case "decimal": return new arrow.Decimal(w.scale, w.precision, w.bitWidth);
    case "fixed_size_binary": return new arrow.FixedSizeBinary(w.byteWidth);
    case "list": return new arrow.List(fieldFromWire(w.child));
    case "large_list": return new arrow.LargeList(fieldFromWire(w.child));
    case "fixed_size_list": return new arrow.FixedSizeList(w.listSize, fieldFromWire(w.child));
    case "struct": return new arrow.Struct(w.children.map(fieldFromWire));
    case "map": return new arrow.Map_(fieldFromWire(w.child) as arrow.Field<arrow.Struct>, w.keysSorted);
    case "dictionary": {
      const indices = typeFromWire(w.indices) as arrow.Int;
      return new arrow.Dictionary(typeFromWire(w.values), indices as arrow.Int32, w.id, w.ordered);
    }
  }
}

/** The cloneable form of a field. */
export function fieldToWire(f: arrow.Field): WireField {
  return { name: f.name, type: typeToWire(f.type), nullable: f.nullable, metadata: [...f.metadata] };
}

/** Rebuilds a field. */
export function fieldFromWire(w: WireField): arrow.Field {
  return new arrow.Field(w.name, typeFromWire(w.type), w.nullable, new Map(w.metadata));
}

/** A cloneable schema. */
export interface WireSchema {
  readonly fields: readonly WireField[];
  readonly metadata: [string, string][];
}

/** The cloneable form of a schema. */
export function schemaToWire(s: arrow.Schema): WireSchema {
  return { fields: s.fields.map(fieldToWire), metadata: [...s.metadata] };
}

/** Rebuilds a schema. */
export function schemaFromWire(w: WireSchema): arrow.Schema {
  return new arrow.Schema(w.fields.map(fieldFromWire), new Map(w.metadata));
}
