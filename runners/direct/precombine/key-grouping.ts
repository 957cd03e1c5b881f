/**
 * The key-grouping kernels of a pre-combine: each gives every row of a batch an id by its key (and
 * window) in order of first appearance, and notes each id's first row; they return how many ids.
 * Each is a small function of one loop, so that it is optimized after a few batches (a thread
 * compiles them itself, and a busy machine leaves the compiler little time). The key tables and dense
 * slots they use are kept from batch to batch in a {@link PreCombineScratch}.
 */
import type { KeyPrimitive, Utf8Keys } from "../data/keys";
import { KeyTable } from "../data/key-table";

/** Storage a pre-combine reuses from batch to batch. */
export class PreCombineScratch {
  /** Key tables, one per window of a batch. */
  readonly tables: KeyTable[] = [];
  /** Ids by `key - lowest key`, for integer keys of a narrow range (see {@link groupDenseInt32}); -1: none yet. */
  dense = new Int32Array(0);
}

/** Gives each row's 32-bit integer key an id in order of first appearance; returns how many ids. */
export function groupInt32(keys: Int32Array, n: number, table: KeyTable, ids: Int32Array, firsts: Int32Array): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let g = table.getInt(k);
    if (g < 0) {
      g = m++;
      table.addInt(k, g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** Slots (keys spanned times windows) at most, and no more than twice a batch's rows, for grouping integer keys by direct indexing. */
const DENSE_SPAN = 1 << 16;

/**
 * {@link groupInt32} by direct indexing, `(key - lowest) * windows + window` into an array, when the
 * batch's keys span a narrow range (ids of small integers, codes, buckets); null when they do not.
 * `windowOf`: each row's window number (see `window-numbers.ts`), or null for one window.
 */
export function groupDenseInt32(keys: Int32Array, windowOf: Int32Array | null, windows: number, n: number, scratch: PreCombineScratch, ids: Int32Array, firsts: Int32Array): number | null {
  if (n === 0) return null;
  let lo = keys[0];
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    if (k < lo) lo = k;
    else if (k > hi) hi = k;
  }
  const span = (hi - lo + 1) * windows;
  if (span > DENSE_SPAN || span > 2 * n) return null;
  if (scratch.dense.length < span) scratch.dense = new Int32Array(Math.max(span, 2 * scratch.dense.length));
  const at = scratch.dense;
  at.fill(-1, 0, span);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = (keys[i] - lo) * windows + (windowOf === null ? 0 : windowOf[i]);
    let g = at[d];
    if (g < 0) {
      g = at[d] = m++;
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** {@link groupInt32} for a utf8 key column, looked up by its bytes. */
export function groupUtf8(keys: Utf8Keys, n: number, table: KeyTable, ids: Int32Array, firsts: Int32Array): number {
  const { bytes, offsets } = keys;
  let m = 0;
  for (let i = 0; i < n; i++) {
    let g = table.getUtf8(bytes, offsets[i], offsets[i + 1]);
    if (g < 0) {
      g = m++;
      table.addUtf8(bytes, offsets[i], offsets[i + 1], g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** Ids by key and window (a table per window, `windowOf` per row, or one table), for any key kind. */
export function groupInWindows(
  ints: Int32Array | null,
  utf8: Utf8Keys | null,
  keys: readonly KeyPrimitive[] | null,
  n: number,
  windowOf: Int32Array | null,
  tables: KeyTable[],
  ids: Int32Array,
  firsts: Int32Array,
): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = windowOf === null ? tables[0] : tables[windowOf[i]];
    let g: number;
    if (ints) g = t.getInt(ints[i]);
    else if (utf8) g = t.getUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1]);
    else g = t.get(keys![i]);
    if (g < 0) {
      g = m++;
      if (ints) t.addInt(ints[i], g);
      else if (utf8) t.addUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1], g);
      else t.add(keys![i], g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}
