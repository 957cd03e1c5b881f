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

/** Each window number's first row (`windowOf`: see `window-numbers.ts`) into `first`, -1 for a number no row has. */
export function firstRowOfWindows(windowOf: Int32Array, n: number, windows: number, first: Int32Array): void {
  first.fill(-1, 0, windows);
  for (let i = 0; i < n; i++) {
    const w = windowOf[i];
    if (first[w] < 0) first[w] = i;
  }
}
