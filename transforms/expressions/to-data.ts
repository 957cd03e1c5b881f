/** Writing evaluated columns as Arrow data of the types the type check decided. */
import * as arrow from "apache-arrow";
import { allNull, type BoolCol, type Col, type Env, type Mask, type NumCol, type StrCol } from "./evaluated";
import { int64Values } from "./int64";

function toBitmap(m: Mask, n: number): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  if (m === null) return { nullCount: 0, nullBitmap: undefined };
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (m[i]) bits[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0, nullBitmap: undefined } : { nullCount: nulls, nullBitmap: bits };
}

/** Writes an evaluated column as Arrow data of the type the type check decided. */
export function toData(c: Col, type: arrow.DataType, n: number, env: Env): arrow.Data {
  if (type.typeId === arrow.Type.Null || c.k === "null") {
    if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: n });
    return toData(nullOf(type, n), type, n, env);
  }
  if (c.k === "raw") throw new Error("internal: a passthrough column reached toData");
  const mask = c.valid;
  const { nullCount, nullBitmap } = toBitmap(mask, n);
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const v = (c as BoolCol).v;
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (v[i]) bits[i >> 3] |= 1 << (i & 7);
      return arrow.makeData({ type: type as arrow.Bool, length: n, nullCount, nullBitmap, data: bits });
    }
    case arrow.Type.Utf8: {
      const s = c as StrCol;
      let off: Int32Array;
      let bytes: Uint8Array;
      if (s.off === null) {
        const l = s.bytes.length;
        off = new Int32Array(n + 1);
        for (let i = 0; i <= n; i++) off[i] = i * l;
        bytes = new Uint8Array(l * n);
        for (let i = 0; i < n; i++) bytes.set(s.bytes, i * l);
      } else if (s.off[0] !== 0) {
        const base = s.off[0];
        off = new Int32Array(n + 1);
        for (let i = 0; i <= n; i++) off[i] = s.off[i] - base;
        bytes = s.bytes.subarray(base, s.off[n]);
      } else {
        off = s.off.subarray(0, n + 1);
        bytes = s.bytes.subarray(0, s.off[n]);
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount, nullBitmap, valueOffsets: off, data: bytes });
    }
    case arrow.Type.Float: {
      // May share the input column's buffer (Arrow data is immutable); never written here.
      return arrow.makeData({ type: type as arrow.Float64, length: n, nullCount, nullBitmap, data: (c as NumCol).v });
    }
    case arrow.Type.Int: {
      const x = (c as NumCol).v;
      if ((type as arrow.Int).bitWidth === 32) {
        const v = new Int32Array(n);
        for (let i = 0; i < n; i++) if (mask === null || mask[i]) v[i] = x[i];
        return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount, nullBitmap, data: v });
      }
      return arrow.makeData({ type: type as arrow.Int64, length: n, nullCount, nullBitmap, data: int64Values(x, mask, n, type, env) });
    }
    case arrow.Type.Timestamp: {
      const x = (c as NumCol).v;
      const floored = new Float64Array(n);
      for (let i = 0; i < n; i++) if (mask === null || mask[i]) floored[i] = Math.floor(x[i]);
      return arrow.makeData({ type: type as arrow.TimestampMillisecond, length: n, nullCount, nullBitmap, data: int64Values(floored, mask, n, type, env) });
    }
  }
  throw new Error(`internal: no writer for ${String(type)}`);
}

function nullOf(type: arrow.DataType, n: number): Col {
  switch (type.typeId) {
    case arrow.Type.Bool: return { k: "bool", v: new Uint8Array(n), valid: allNull(n) };
    case arrow.Type.Utf8: return { k: "str", off: new Int32Array(n + 1), bytes: new Uint8Array(0), valid: allNull(n) };
    default: return { k: "num", cat: "int", v: new Float64Array(n), valid: allNull(n) };
  }
}
