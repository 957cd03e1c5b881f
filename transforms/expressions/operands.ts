/** The leaves of an expression as evaluated columns: input columns (float64 without a copy) and literals. */
import * as arrow from "apache-arrow";
import { catOf } from "./categories";
import type { Col, Mask } from "./evaluated";
import { int64Doubles } from "./int64";
import type { LiteralValue } from "./node";

const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6];
const encoder = new TextEncoder();

/** The validity of a Data chunk as a byte mask (null when it has no nulls). */
function maskOf(data: arrow.Data): Mask {
  if (data.nullCount <= 0 || !data.nullBitmap) return null;
  const n = data.length;
  const bits = data.nullBitmap;
  const off = data.offset;
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1;
  return m;
}

/** Reads an input column into an evaluated column (float64 columns without a copy). */
export function readColumn(data: arrow.Data, n: number): Col {
  const type = data.type;
  const valid = maskOf(data);
  switch (catOf(type)) {
    case "null": return { k: "null" };
    case "float": {
      const values = data.values as Float64Array | Float32Array;
      const v = values instanceof Float64Array ? values.subarray(0, n) : new Float64Array(values.subarray(0, n));
      return { k: "num", cat: "float", v, valid };
    }
    case "int": {
      const int = type as arrow.Int;
      const v = int.bitWidth < 64
        ? new Float64Array((data.values as Int32Array).subarray(0, n))
        : int64Doubles(data.values as BigInt64Array, n, int.isSigned);
      return { k: "num", cat: "int", v, valid };
    }
    case "ts":
      return { k: "num", cat: "ts", v: int64Doubles(data.values as BigInt64Array, n, true, MS_PER_UNIT[(type as arrow.Timestamp).unit]), valid };
    case "bool": {
      const bits = data.values as Uint8Array;
      const off = data.offset;
      const v = new Uint8Array(n);
      for (let i = 0; i < n; i++) v[i] = (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1;
      return { k: "bool", v, valid };
    }
    case "string":
      return { k: "str", off: data.valueOffsets as Int32Array, bytes: data.values as Uint8Array, valid };
    default:
      return { k: "raw", valid };
  }
}

/** @internal A literal as an evaluated column (a string literal is one byte string for every row). */
export function literal(v: LiteralValue, n: number): Col {
  if (v === null) return { k: "null" };
  if (typeof v === "number") return { k: "num", cat: Number.isInteger(v) ? "int" : "float", v: new Float64Array(n).fill(v), valid: null };
  if (typeof v === "boolean") return { k: "bool", v: new Uint8Array(n).fill(v ? 1 : 0), valid: null };
  return { k: "str", off: null, bytes: encoder.encode(v), valid: null };
}
