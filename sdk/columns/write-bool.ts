/** The writer of bool columns. */
import * as arrow from "apache-arrow";
import type { ValueReader } from "./plain-values";
import { Validity } from "./validity";
import { mismatch, type WriteContext } from "./write-context";

/** @internal Writes a bool column from booleans. */
export function writeBool(type: arrow.Bool, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const values = new Uint8Array((n + 7) >> 3);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === true) { values[i >> 3] |= 1 << (i & 7); bits[i >> 3] |= 1 << (i & 7); }
    else if (v === false) bits[i >> 3] |= 1 << (i & 7);
    else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, data: values });
}
