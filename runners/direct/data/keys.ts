/**
 * Grouping keys from key columns: a JavaScript primitive per row (the value itself for a single
 * string or number column, a canonical string otherwise), usable as a Map key without per-row objects.
 */
import * as arrow from "apache-arrow";
import { decodeUtf8, utf8Values, valueReader } from "../../../sdk/columns";
import { SchemaError } from "../../../sdk/errors";

/** A row's grouping key. */
export type KeyPrimitive = string | number | boolean | null;

const NULL_KEY = "\u0000null";

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `b64:${Buffer.from(x).toString("base64")}` : x,
  );
}

/** The key columns of a batch by field name, with a clear error for a missing field. */
export function keyColumns(batch: arrow.RecordBatch, fields: readonly string[], where: string): arrow.Vector[] {
  return fields.map((f) => {
    const col = batch.getChild(f);
    if (!col) {
      throw new SchemaError({
        code: "BL_NO_SUCH_FIELD",
        where,
        value: f,
        rule: `the rows have no field of this name (fields: ${batch.schema.fields.map((x) => x.name).join(", ")})`,
        fix: "group by an existing field, or map the rows to add it first",
      });
    }
    return col;
  });
}

/** The values of a one-chunk, null-free column of 32-bit or smaller integers or of floats, or null. */
function plainNumbers(col: arrow.Vector): ArrayLike<number> | null {
  if (col.data.length !== 1) return null;
  const d = col.data[0];
  if (d.nullCount > 0) return null;
  const values = d.values;
  const id = col.type.typeId;
  const float = values instanceof Float64Array || values instanceof Float32Array; // not Float16's raw bits
  const int = values instanceof Int32Array || values instanceof Int16Array || values instanceof Int8Array
    || values instanceof Uint32Array || values instanceof Uint16Array || values instanceof Uint8Array;
  if (!(id === arrow.Type.Float ? float : id === arrow.Type.Int && int)) return null;
  // A sliced Data keeps the offset only in its validity bitmap; the values start at its first row.
  return (values as Int32Array).length >= d.length ? (values as Int32Array).subarray(0, d.length) : null;
}

/**
 * The keys of a batch whose one key column is a null-free utf8 column of one chunk, as its bytes:
 * row `i`'s key is the string whose UTF-8 bytes are `bytes[offsets[i]..offsets[i + 1])`. Grouping
 * looks such keys up by their bytes and makes a string only for a key it has not seen.
 */
export interface Utf8Keys {
  readonly length: number;
  readonly bytes: Buffer;
  readonly offsets: Int32Array;
}

/** The keys of these key columns as {@link Utf8Keys}, or null when they are not one such column. */
export function utf8Keys(columns: readonly arrow.Vector[], numRows: number): Utf8Keys | null {
  if (columns.length !== 1) return null;
  const col = columns[0];
  if (col.type.typeId !== arrow.Type.Utf8 || col.data.length !== 1 || col.nullCount > 0) return null;
  const d = col.data[0];
  const values = d.values as Uint8Array;
  // As for the values of other types, a sliced Data's offsets start at its first row.
  return { length: numRows, bytes: Buffer.from(values.buffer, values.byteOffset, values.byteLength), offsets: d.valueOffsets as Int32Array };
}

/**
 * The keys of these key columns as the values of their one null-free int32 column of one chunk (each
 * the key {@link encodeKeys} gives), or null when they are not one such column.
 */
export function int32Keys(columns: readonly arrow.Vector[], numRows: number): Int32Array | null {
  if (columns.length !== 1) return null;
  const col = columns[0];
  if (col.type.typeId !== arrow.Type.Int || col.data.length !== 1 || col.nullCount > 0) return null;
  const values = col.data[0].values;
  return values instanceof Int32Array && values.length >= numRows ? values.subarray(0, numRows) : null;
}

/** Row `i`'s key of {@link Utf8Keys}, as {@link encodeKeys} gives it. */
export function utf8KeyAt(keys: Utf8Keys, i: number): string {
  return decodeUtf8(keys.bytes, keys.offsets[i], keys.offsets[i + 1]);
}

/** Per-row grouping keys of the given key columns. */
export function encodeKeys(columns: readonly arrow.Vector[], numRows: number): KeyPrimitive[] {
  const out = new Array<KeyPrimitive>(numRows);
  if (columns.length === 1) {
    const col = columns[0];
    const id = col.type.typeId;
    if (id === arrow.Type.Utf8) {
      const vals = utf8Values(col);
      for (let i = 0; i < numRows; i++) out[i] = vals[i] ?? NULL_KEY;
      return out;
    }
    const plain = plainNumbers(col);
    if (plain) {
      for (let i = 0; i < numRows; i++) out[i] = plain[i];
      return out;
    }
    const read = valueReader(col);
    if (id === arrow.Type.Float || id === arrow.Type.Int || id === arrow.Type.Bool || id === arrow.Type.Timestamp) {
      for (let i = 0; i < numRows; i++) {
        const v = read(i);
        out[i] = v === null ? NULL_KEY : typeof v === "bigint" ? `${v}n` : (v as number | boolean);
      }
      return out;
    }
    for (let i = 0; i < numRows; i++) {
      const v = read(i);
      out[i] = v === null ? NULL_KEY : canonical(v);
    }
    return out;
  }
  const readers = columns.map((c) => valueReader(c));
  const vals = new Array<unknown>(columns.length);
  for (let i = 0; i < numRows; i++) {
    for (let c = 0; c < readers.length; c++) vals[c] = readers[c](i);
    out[i] = canonical(vals);
  }
  return out;
}
