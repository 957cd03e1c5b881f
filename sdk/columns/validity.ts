/** Validity bitmaps: building them, and gathering or concatenating those of existing chunks. */
import * as arrow from "apache-arrow";

/** @internal A validity bitmap being built, with its count of nulls. */
export class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(n: number) { this.bits = new Uint8Array((n + 7) >> 3); }
  /** The bitmap to hand to makeData: none when there are no nulls. */
  get bitmap(): Uint8Array | undefined { return this.nulls > 0 ? this.bits : undefined; }
}

/** @internal The validity of rows `indices` of a chunk; null when the chunk has no nulls. */
export function takeValidity(data: arrow.Data, indices: Int32Array): Validity | null {
  if (data.nullCount === 0) return null;
  const k = indices.length;
  const out = new Validity(k);
  const bits = out.bits;
  const src = data.nullBitmap as Uint8Array;
  const off = data.offset;
  for (let j = 0; j < k; j++) {
    const p = off + indices[j];
    if ((src[p >> 3] >> (p & 7)) & 1) bits[j >> 3] |= 1 << (j & 7);
    else out.nulls++;
  }
  return out;
}

/** @internal The validity of chunks laid end to end; null when none has nulls. */
export function concatValidity(chunks: readonly arrow.Data[], total: number): Validity | null {
  if (chunks.every((c) => c.nullCount === 0)) return null;
  const out = new Validity(total);
  const bits = out.bits;
  let pos = 0;
  for (const c of chunks) {
    if (c.nullCount === 0) {
      for (let i = 0; i < c.length; i++, pos++) bits[pos >> 3] |= 1 << (pos & 7);
    } else {
      const src = c.nullBitmap as Uint8Array;
      const off = c.offset;
      for (let i = 0; i < c.length; i++, pos++) {
        const p = off + i;
        if ((src[p >> 3] >> (p & 7)) & 1) bits[pos >> 3] |= 1 << (pos & 7);
        else out.nulls++;
      }
    }
  }
  return out;
}
