/** The writer of binary columns. */
import * as arrow from "apache-arrow";
import type { ValueReader } from "./plain-values";
import { Validity } from "./validity";
import { mismatch, type WriteContext } from "./write-context";

/** @internal Writes a binary column from Uint8Arrays. */
export function writeBinary(type: arrow.Binary, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const offsets = new Int32Array(n + 1);
  const valid = new Validity(n);
  const bits = valid.bits;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v instanceof Uint8Array) { total += v.length; bits[i >> 3] |= 1 << (i & 7); }
    else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v instanceof Uint8Array) data.set(v, offsets[i]);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, valueOffsets: offsets, data });
}
