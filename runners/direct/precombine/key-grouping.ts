/**
 * The key lookups of a fold into a partial table (see `partial-table.ts`): each gives every row of a
 * batch the id of its key's (and window's) group in the table, adding a group, numbered on from
 * `from`, for a key the table does not hold yet, and notes the row that started each new group in
 * `fresh`; they return how many groups they added. Each is a small function of one loop, so that it
 * is optimized after a few batches (a thread compiles them itself, and a busy machine leaves the
 * compiler little time).
 */
import type { KeyPrimitive, Utf8Keys } from "../data/keys";
import type { KeyTable } from "../data/key-table";

/** Groups the rows of a batch by their 32-bit integer keys, in one window's table. */
export function groupInt32(keys: Int32Array, n: number, table: KeyTable, ids: Int32Array, fresh: Int32Array, from: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let g = table.getInt(k);
    if (g < 0) {
      g = from + m;
      table.addInt(k, g);
      fresh[m++] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** {@link groupInt32} for a utf8 key column, looked up by its bytes. */
export function groupUtf8(keys: Utf8Keys, n: number, table: KeyTable, ids: Int32Array, fresh: Int32Array, from: number): number {
  const { bytes, offsets } = keys;
  let m = 0;
  for (let i = 0; i < n; i++) {
    let g = table.getUtf8(bytes, offsets[i], offsets[i + 1]);
    if (g < 0) {
      g = from + m;
      table.addUtf8(bytes, offsets[i], offsets[i + 1], g);
      fresh[m++] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** Groups by key and window (a table per window, `windowOf` per row, or one table), for any key kind. */
export function groupInWindows(
  ints: Int32Array | null,
  utf8: Utf8Keys | null,
  keys: readonly KeyPrimitive[] | null,
  n: number,
  windowOf: Int32Array | null,
  tables: readonly KeyTable[],
  ids: Int32Array,
  fresh: Int32Array,
  from: number,
): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = windowOf === null ? tables[0] : tables[windowOf[i]];
    let g: number;
    if (ints) g = t.getInt(ints[i]);
    else if (utf8) g = t.getUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1]);
    else g = t.get(keys![i]);
    if (g < 0) {
      g = from + m;
      if (ints) t.addInt(ints[i], g);
      else if (utf8) t.addUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1], g);
      else t.add(keys![i], g);
      fresh[m++] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** Slots (keys spanned times windows) at most, and no more than twice a batch's rows, for grouping integer keys by direct indexing. */
const DENSE_SPAN = 1 << 16;

/** Ids by `key - lowest key` (times windows), for {@link groupDenseInt32}; kept from batch to batch. */
export class DenseSlots {
  /** -1: no group yet. */
  slots = new Int32Array(0);
}

/**
 * Groups a batch's rows by 32-bit integer key and window among themselves, by direct indexing,
 * `(key - lowest) * windows + window` into `dense`, when the keys span a narrow range (ids of small
 * integers, codes, buckets): each row's group, numbered from 0 in order of first appearance, into
 * `local`, each group's first row into `firsts`. Returns how many groups, or -1 when the keys span too
 * wide a range. `windowOf`: each row's window number (see `window-numbers.ts`), or null for one window.
 */
export function groupDenseInt32(keys: Int32Array, windowOf: Int32Array | null, windows: number, n: number, dense: DenseSlots, local: Int32Array, firsts: Int32Array): number {
  if (n === 0) return -1;
  let lo = keys[0];
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    if (k < lo) lo = k;
    else if (k > hi) hi = k;
  }
  const span = (hi - lo + 1) * windows;
  if (span > DENSE_SPAN || span > 2 * n) return -1;
  if (dense.slots.length < span) dense.slots = new Int32Array(Math.max(span, 2 * dense.slots.length));
  const at = dense.slots;
  at.fill(-1, 0, span);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = (keys[i] - lo) * windows + (windowOf === null ? 0 : windowOf[i]);
    let g = at[d];
    if (g < 0) {
      g = at[d] = m++;
      firsts[g] = i;
    }
    local[i] = g;
  }
  return m;
}

/**
 * The held group of each of a batch's `m` groups of {@link groupDenseInt32} (group `g` starts at row
 * `firsts[g]`), looked up once per group in the table of its window, into `held`; a group the tables
 * do not hold yet is added, as in {@link groupInt32}. Returns how many groups were added.
 */
export function holdInt32Groups(keys: Int32Array, firsts: Int32Array, m: number, windowOf: Int32Array | null, tables: readonly KeyTable[], held: Int32Array, fresh: Int32Array, from: number): number {
  let f = 0;
  for (let g = 0; g < m; g++) {
    const i = firsts[g];
    const k = keys[i];
    const t = windowOf === null ? tables[0] : tables[windowOf[i]];
    let h = t.getInt(k);
    if (h < 0) {
      h = from + f;
      t.addInt(k, h);
      fresh[f++] = i;
    }
    held[g] = h;
  }
  return f;
}

/** Replaces each row's batch group in `ids` by its held group. */
export function toHeldIds(ids: Int32Array, held: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) ids[i] = held[ids[i]];
}

/** Each window number's first row (`windowOf`: see `window-numbers.ts`) into `first`, -1 for a number no row has. */
export function firstRowOfWindows(windowOf: Int32Array, n: number, windows: number, first: Int32Array): void {
  first.fill(-1, 0, windows);
  for (let i = 0; i < n; i++) {
    const w = windowOf[i];
    if (first[w] < 0) first[w] = i;
  }
}
