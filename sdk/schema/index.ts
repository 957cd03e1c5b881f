/**
 * Row schemas: field types (`t`), declared schemas, inference from sample values, and a plain JSON
 * form for the pipeline graph. Every schema is an Arrow schema whose fields are all nullable.
 */
import * as arrow from "apache-arrow";
import { SchemaError, describeValue } from "../errors";
import { arrowSchemaFromJson, arrowSchemaToJson, SchemaJson, timeUnitName } from "./arrow-type";

/** The Arrow type of one field, typed by the JavaScript value rows hold in it. */
export interface FieldType<T = unknown> {
  /** The Arrow data type. */
  readonly arrow: arrow.DataType;
  /** Phantom: the JavaScript type of the field's values. Never set. */
  readonly __row?: T;
}

/** The row type of a record of field types. */
export type RowOf<F extends Record<string, FieldType>> = {
  [K in keyof F]: F[K] extends FieldType<infer V> ? V : never;
};

/** A row schema: an arrow.Schema, typed by its row type. All fields nullable. */
export interface RowSchema<T = unknown> {
  /** The Arrow schema. */
  readonly arrow: arrow.Schema;
  /** Phantom: the row type. Never set. */
  readonly __row?: T;
}

/** The schema metadata key that marks a scalar schema (rows are bare values, not objects). */
export const SCALAR_METADATA_KEY = "beamline:scalar";
/** The name of the one field of a scalar schema. */
export const SCALAR_FIELD = "value";

const fieldType = <T>(type: arrow.DataType): FieldType<T> => ({ arrow: type });

/** Field type constructors for declared schemas, e.g. `schema({ word: t.string(), count: t.int64() })`. */
export const t = {
  /** UTF-8 text, read as a string. */
  string: (): FieldType<string> => fieldType(new arrow.Utf8()),
  /** 64-bit float, read as a number. */
  float64: (): FieldType<number> => fieldType(new arrow.Float64()),
  /** 32-bit float, read as a number. */
  float32: (): FieldType<number> => fieldType(new arrow.Float32()),
  /** 32-bit signed integer, read as a number. */
  int32: (): FieldType<number> => fieldType(new arrow.Int32()),
  /** 64-bit signed integer, read as a number (a bigint only beyond Number.MAX_SAFE_INTEGER). */
  int64: (): FieldType<number> => fieldType(new arrow.Int64()),
  /** Boolean. */
  bool: (): FieldType<boolean> => fieldType(new arrow.Bool()),
  /** Millisecond timestamp (UTC), read as a number of ms; written from a number or a Date. */
  timestamp: (): FieldType<number> => fieldType(new arrow.TimestampMillisecond()),
  /** Variable-length bytes, read as a Uint8Array. */
  binary: (): FieldType<Uint8Array> => fieldType(new arrow.Binary()),
  /** A list of items of one type, read as a plain array. */
  list: <T>(item: FieldType<T>): FieldType<T[]> =>
    fieldType(new arrow.List(new arrow.Field("item", item.arrow, true))),
  /** A nested record, read as a plain object. */
  struct: <F extends Record<string, FieldType>>(fields: F): FieldType<RowOf<F>> =>
    fieldType(new arrow.Struct(toFields(fields))),
};

function toFields(fields: Record<string, FieldType>): arrow.Field[] {
  return Object.keys(fields).map((name) => {
    const ft = fields[name];
    if (!ft || !(ft.arrow instanceof arrow.DataType)) {
      throw new SchemaError({
        code: "BL_SCHEMA_INVALID",
        value: ft,
        rule: `field "${name}" must be a field type such as t.string()`,
        fix: `declare it with one of t.string(), t.float64(), t.int64(), t.bool(), t.timestamp(), t.binary(), t.list(...), t.struct({...})`,
      });
    }
    return new arrow.Field(name, ft.arrow, true);
  });
}

/** Declares a row schema: one nullable field per key, in key order. */
export function schema<F extends Record<string, FieldType>>(fields: F): RowSchema<RowOf<F>> {
  return { arrow: new arrow.Schema(toFields(fields)) };
}

/** A schema whose rows are bare values of one type: one field named "value", marked as scalar. */
export function scalarSchema<T>(type: FieldType<T>): RowSchema<T> {
  return {
    arrow: new arrow.Schema(
      [new arrow.Field(SCALAR_FIELD, type.arrow, true)],
      new Map([[SCALAR_METADATA_KEY, "true"]]),
    ),
  };
}

/** Whether rows of this schema are bare values rather than objects. */
export function isScalarSchema(s: arrow.Schema): boolean {
  return s.metadata.get(SCALAR_METADATA_KEY) === "true" && s.fields.length === 1;
}

// ---------------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------------

type Kind = "number" | "string" | "boolean" | "bigint" | "date" | "binary" | "array" | "object" | "other";

function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case "number": return "number";
    case "string": return "string";
    case "boolean": return "boolean";
    case "bigint": return "bigint";
    case "object":
      if (v instanceof Date) return "date";
      if (v instanceof Uint8Array) return "binary";
      if (Array.isArray(v)) return "array";
      if (isPlainObject(v)) return "object";
      return "other";
    default: return "other";
  }
}

/** @internal Whether a value is a plain record (not an array, Date, typed array, Map or Set). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const KIND_SUGGESTION: Record<Kind, string> = {
  number: "t.float64()", string: "t.string()", boolean: "t.bool()", bigint: "t.int64()",
  date: "t.timestamp()", binary: "t.binary()", array: "t.list(t.string())", object: "t.struct({ ... })",
  other: "t.string()",
};

/** @internal The `t.…()` declaration that would hold a value of this kind, for fixes in messages. */
export function suggestFieldType(v: unknown): string {
  return KIND_SUGGESTION[kindOf(v)];
}

interface Sample { value: unknown; row: number }

function inferenceError(where: string, path: string, rule: string, value: unknown, example: string): SchemaError {
  return new SchemaError({
    code: "BL_SCHEMA_INFERENCE",
    where,
    value,
    rule: path && !path.startsWith("[") ? `cannot infer the type of field "${path}": ${rule}`
      : `cannot infer the type of the elements${path ? ` (${path})` : ""}: ${rule}`,
    fix: `declare the schema, e.g. { schema: ${example} }`,
  });
}

function inferType(samples: readonly Sample[], where: string, path: string): arrow.DataType {
  const firstOfKind = new Map<Kind, Sample>();
  for (const s of samples) {
    if (s.value === null || s.value === undefined) continue;
    const k = kindOf(s.value);
    if (!firstOfKind.has(k)) firstOfKind.set(k, s);
  }
  const example = (decl: string) => exampleDeclaration(path, decl);
  if (firstOfKind.size === 0) {
    const rule = samples.length === 0 ? "there are no values to infer from" : `all ${samples.length} values are null or undefined`;
    throw inferenceError(where, path, rule, samples.length ? samples[0].value : [], example("t.string()"));
  }
  const other = firstOfKind.get("other");
  if (other) {
    throw inferenceError(where, path,
      `row ${other.row} holds a ${describeKind(other.value)}, which has no Arrow type (use numbers, strings, booleans, bigints, Dates, Uint8Arrays, arrays or plain objects)`,
      other.value, example("t.string()"));
  }
  if (firstOfKind.size > 1) {
    const kinds = [...firstOfKind.entries()];
    const rule = "it mixes " + kinds.map(([k, s]) => `${k} (e.g. ${describeValue(s.value, 40)} at row ${s.row})`).join(" and ");
    throw inferenceError(where, path, rule, kinds.map(([, s]) => s.value), example(KIND_SUGGESTION[kinds[0][0]]));
  }
  const [kind] = firstOfKind.keys();
  switch (kind) {
    case "number": return new arrow.Float64();
    case "string": return new arrow.Utf8();
    case "boolean": return new arrow.Bool();
    case "bigint": return new arrow.Int64();
    case "date": return new arrow.TimestampMillisecond();
    case "binary": return new arrow.Binary();
    case "array": {
      const items: Sample[] = [];
      for (const s of samples) {
        if (Array.isArray(s.value)) for (const item of s.value) items.push({ value: item, row: s.row });
      }
      const item = inferType(items, where, `${path}[]`);
      return new arrow.List(new arrow.Field("item", item, true));
    }
    default: return new arrow.Struct(inferFields(samples, where, path));
  }
}

function inferFields(samples: readonly Sample[], where: string, path: string): arrow.Field[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    if (!isPlainObject(s.value)) continue;
    for (const k of Object.keys(s.value)) if (!seen.has(k)) { seen.add(k); keys.push(k); }
  }
  return keys.map((k) => {
    const sub = samples.map((s) => ({ value: isPlainObject(s.value) ? s.value[k] : null, row: s.row }));
    return new arrow.Field(k, inferType(sub, where, path ? `${path}.${k}` : k), true);
  });
}

/** Wraps a field declaration in the schema(...) call that declares it at `path` (e.g. `a.b[]`). */
function exampleDeclaration(path: string, decl: string): string {
  if (!path) return `scalarSchema(${decl})`;
  const segments = path.split(".");
  let inner = decl;
  for (let i = segments.length - 1; i >= 0; i--) {
    let seg = segments[i];
    let lists = 0;
    while (seg.endsWith("[]")) { seg = seg.slice(0, -2); lists++; }
    for (let l = 0; l < lists; l++) inner = `t.list(${inner})`;
    if (seg === "") { if (i === 0) return `scalarSchema(${inner})`; continue; }
    inner = i === 0 ? `{ ${safeKey(seg)}: ${inner} }` : `t.struct({ ${safeKey(seg)}: ${inner} })`;
  }
  return `schema(${inner})`;
}

function describeKind(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (Object.getPrototypeOf(v)?.constructor?.name as string | undefined) ?? "object";
  return typeof v;
}

function safeKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

/**
 * Infers an Arrow schema from sample values: plain objects give one field per key (first-seen order over
 * all values), anything else gives a scalar schema. Throws a SchemaError naming `where` when a field is
 * all null, mixes kinds, or there are no values.
 */
export function inferSchema(values: readonly unknown[], where: string): arrow.Schema {
  if (values.length === 0) {
    throw new SchemaError({
      code: "BL_SCHEMA_INFERENCE",
      where,
      value: [],
      rule: "cannot infer a schema from no elements",
      fix: "declare the schema, e.g. { schema: schema({ x: t.string() }) }",
    });
  }
  const firstNonNull = values.findIndex((v) => v !== null && v !== undefined);
  if (firstNonNull >= 0 && kindOf(values[firstNonNull]) === "object") {
    const samples: Sample[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!isPlainObject(v)) {
        throw new SchemaError({
          code: "BL_SCHEMA_INFERENCE",
          where,
          value: v,
          rule: `cannot infer a schema: row ${firstNonNull} is an object but row ${i} is ${describeKind(v)}; rows must all be objects or all be bare values`,
          fix: "emit the same kind of element everywhere, or declare the schema, e.g. { schema: schema({ x: t.string() }) }",
        });
      }
      samples[i] = { value: v, row: i };
    }
    const fields = inferFields(samples, where, "");
    if (fields.length === 0) {
      throw new SchemaError({
        code: "BL_SCHEMA_INFERENCE",
        where,
        value: values[0],
        rule: "cannot infer a schema: every row is an empty object",
        fix: "emit objects with fields, or declare the schema, e.g. { schema: schema({ x: t.string() }) }",
      });
    }
    return new arrow.Schema(fields);
  }
  const type = inferType(values.map((value, row) => ({ value, row })), where, "");
  return scalarSchema(fieldType(type)).arrow;
}

// ---------------------------------------------------------------------------------------------
// JSON form, equality, description
// ---------------------------------------------------------------------------------------------

/** The Arrow types a Beamline schema may declare (the codec in `arrow-type.ts` covers more). */
const SCHEMA_TYPES = new Set<arrow.Type>([
  arrow.Type.Null, arrow.Type.Bool, arrow.Type.Utf8, arrow.Type.LargeUtf8, arrow.Type.Binary, arrow.Type.LargeBinary,
  arrow.Type.Float, arrow.Type.Int, arrow.Type.Timestamp, arrow.Type.Date, arrow.Type.List, arrow.Type.Struct,
]);

/** Throws a SchemaError when a type, or a type nested in it, is not one a Beamline schema may declare. */
function checkSchemaType(type: arrow.DataType, where: string): void {
  if (!SCHEMA_TYPES.has(type.typeId)) {
    throw new SchemaError({
      code: "BL_SCHEMA_UNSUPPORTED_TYPE",
      where,
      value: String(type),
      rule: "this Arrow type is not supported in Beamline schemas",
      fix: "use t.string(), t.float64(), t.float32(), t.int32(), t.int64(), t.bool(), t.timestamp(), t.binary(), t.list(...) or t.struct({...})",
    });
  }
  for (const child of type.children ?? []) checkSchemaType(child.type, where);
}

/** A plain, deterministic, JSON-serializable description of a schema (fields, types, nullability, metadata). */
export function schemaToJson(s: arrow.Schema): SchemaJson {
  for (const f of s.fields) checkSchemaType(f.type, "schemaToJson");
  return arrowSchemaToJson(s);
}

/** Rebuilds an Arrow schema from {@link schemaToJson}'s output. */
export function schemaFromJson(j: SchemaJson): arrow.Schema {
  const s = arrowSchemaFromJson(j);
  for (const f of s.fields) checkSchemaType(f.type, "schemaFromJson");
  return s;
}

/** Whether two schemas have the same fields (names, types, nullability, metadata, order) and metadata. */
export function schemasEqual(a: arrow.Schema, b: arrow.Schema): boolean {
  if (a === b) return true;
  return JSON.stringify(schemaToJson(a)) === JSON.stringify(schemaToJson(b));
}

/** A short description of a type for messages: `string`, `float64`, `list<int32>`, `{a: bool}`. */
export function describeType(type: arrow.DataType): string {
  switch (type.typeId) {
    case arrow.Type.Utf8: return "string";
    case arrow.Type.Float: {
      const p = (type as arrow.Float).precision;
      return p === arrow.Precision.HALF ? "float16" : p === arrow.Precision.SINGLE ? "float32" : "float64";
    }
    case arrow.Type.Int: {
      const i = type as arrow.Int;
      return `${i.isSigned ? "int" : "uint"}${i.bitWidth}`;
    }
    case arrow.Type.Bool: return "bool";
    case arrow.Type.Binary: return "binary";
    case arrow.Type.Null: return "null";
    case arrow.Type.Timestamp: {
      const ts = type as arrow.Timestamp;
      return ts.unit === arrow.TimeUnit.MILLISECOND && !ts.timezone ? "timestamp" : `timestamp[${timeUnitName(ts.unit)}${ts.timezone ? `, ${ts.timezone}` : ""}]`;
    }
    case arrow.Type.List: return `list<${describeType((type as arrow.List).children[0].type)}>`;
    case arrow.Type.Struct: return describeFields((type as arrow.Struct).children);
    default: return String(type);
  }
}

function describeFields(fields: readonly arrow.Field[]): string {
  return `{${fields.map((f) => `${safeKey(f.name)}: ${describeType(f.type)}`).join(", ")}}`;
}

/** A short description of a schema for messages, e.g. `{word: string, count: float64}`; scalars read `float64 (bare values)`. */
export function describeSchema(s: arrow.Schema): string {
  if (isScalarSchema(s)) return `${describeType(s.fields[0].type)} (bare values)`;
  return describeFields(s.fields);
}
