/**
 * A map from grouping keys to non-negative ids, faster than a JavaScript Map for the common cases:
 * 32-bit integer keys live in an open-addressing table (linear probing, key and id side by side in
 * one Int32Array, so a lookup touches one cache line); string keys live in another, keyed by their
 * UTF-8 bytes, so that a utf8 key column is looked up straight from its buffer, without a string per
 * row (see {@link KeyTable.getUtf8}); every other key (floats, booleans, null) goes to a Map. Keys
 * compare as a Map compares them (SameValueZero: 0 and -0 are one key, NaN is one key; strings by
 * content).
 */
import type { KeyPrimitive } from "./keys";

const EMPTY = 0;

/** A 32-bit integer key's home slot in a table of `mask + 1` slots. */
function slotOf(k: number, mask: number): number {
  const h = Math.imul(k, 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}

/** A hash of bytes `start` to `end` (FNV-1a, then mixed so that its low bits spread). */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let j = start; j < end; j++) h = Math.imul(h ^ bytes[j], 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

const encoder = new TextEncoder();

/** String keys by their UTF-8 bytes: open addressing, the bytes kept in one growing arena. */
class Utf8Table {
  /**
   * Per slot, side by side (so that a probe touches one cache line): the key's hash, id + 1 (0:
   * empty), and where its bytes are in the arena (offset, length).
   */
  private slots = new Int32Array(4 * 64);
  private mask = 63;
  size = 0;
  private arena = new Uint8Array(1024);
  private used = 0;
  /** Arena bytes of deleted keys. */
  private garbage = 0;
  private scratch = new Uint8Array(64);

  get(bytes: Uint8Array, start: number, end: number): number {
    return this.find(bytes, start, end, hashBytes(bytes, start, end));
  }

  /** Adds a key that is not in the table. */
  add(bytes: Uint8Array, start: number, end: number, id: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    const len = end - start;
    if (this.used + len > this.arena.length) this.growArena(len);
    this.arena.set(bytes.subarray(start, end), this.used);
    this.put(hashBytes(bytes, start, end), id, this.used, len);
    this.used += len;
    this.size++;
  }

  delete(bytes: Uint8Array, start: number, end: number): void {
    const s = this.slotOf(bytes, start, end, hashBytes(bytes, start, end));
    if (s < 0) return;
    const slots = this.slots;
    const mask = this.mask;
    this.size--;
    this.garbage += slots[4 * s + 3];
    // Backward-shift deletion, as in the integer table.
    for (let hole = s, j = (s + 1) & mask; ; j = (j + 1) & mask) {
      if (slots[4 * j + 1] === EMPTY) {
        slots[4 * hole + 1] = EMPTY;
        break;
      }
      const home = slots[4 * j] & mask;
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        slots.copyWithin(4 * hole, 4 * j, 4 * j + 4);
        hole = j;
      }
    }
    if (this.garbage > 1 << 20 && 2 * this.garbage > this.used) this.compact();
  }

  /** Removes every key, keeping the storage. */
  clear(): void {
    this.slots.fill(EMPTY);
    this.size = 0;
    this.used = 0;
    this.garbage = 0;
  }

  /** A string's UTF-8 bytes, in a scratch buffer valid until the next call. */
  encode(k: string): number {
    if (3 * k.length > this.scratch.length) this.scratch = new Uint8Array(Math.max(3 * k.length, 2 * this.scratch.length));
    return encoder.encodeInto(k, this.scratch).written;
  }

  get scratchBytes(): Uint8Array {
    return this.scratch;
  }

  /** The id of the key with these bytes and hash `h`, or -1. */
  private find(bytes: Uint8Array, start: number, end: number, h: number): number {
    const s = this.slotOf(bytes, start, end, h);
    return s < 0 ? -1 : this.slots[4 * s + 1] - 1;
  }

  /** The slot of the key with these bytes and hash `h`, or -1. */
  private slotOf(bytes: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    const mask = this.mask;
    const slots = this.slots;
    const arena = this.arena;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = 4 * s;
      if (slots[at + 1] === EMPTY) return -1;
      if (slots[at] === h && slots[at + 3] === len) {
        const o = slots[at + 2] - start;
        let j = start;
        while (j < end && arena[o + j] === bytes[j]) j++;
        if (j === end) return s;
      }
    }
  }

  private put(h: number, id: number, offset: number, len: number): void {
    const mask = this.mask;
    const slots = this.slots;
    let s = h & mask;
    while (slots[4 * s + 1] !== EMPTY) s = (s + 1) & mask;
    const at = 4 * s;
    slots[at] = h;
    slots[at + 1] = id + 1;
    slots[at + 2] = offset;
    slots[at + 3] = len;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * old.length);
    this.mask = 2 * this.mask + 1;
    for (let at = 0; at < old.length; at += 4) if (old[at + 1] !== EMPTY) this.put(old[at], old[at + 1] - 1, old[at + 2], old[at + 3]);
  }

  private growArena(extra: number): void {
    const next = new Uint8Array(Math.max(2 * this.arena.length, this.used + extra));
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
  }

  /** Rewrites the arena with the live keys' bytes only. */
  private compact(): void {
    const old = this.arena;
    const slots = this.slots;
    const next = new Uint8Array(Math.max(1024, 2 * (this.used - this.garbage)));
    let used = 0;
    for (let at = 0; at < slots.length; at += 4) {
      if (slots[at + 1] === EMPTY) continue;
      next.set(old.subarray(slots[at + 2], slots[at + 2] + slots[at + 3]), used);
      slots[at + 2] = used;
      used += slots[at + 3];
    }
    this.arena = next;
    this.used = used;
    this.garbage = 0;
  }
}

/** Grouping keys to ids. */
export class KeyTable {
  /** Pairs of (key, id + 1); an id slot of 0 marks an empty pair. */
  private slots = new Int32Array(2 * 64);
  private mask = 63;
  private ints = 0;
  private readonly strings = new Utf8Table();
  private readonly others = new Map<KeyPrimitive, number>();

  /** How many keys the table holds. */
  get size(): number {
    return this.ints + this.strings.size + this.others.size;
  }

  /** Removes every key, keeping the storage (for reuse with keys like the last ones). */
  clear(): void {
    this.slots.fill(0);
    this.ints = 0;
    this.strings.clear();
    this.others.clear();
  }

  /** The id of `k`, or -1. */
  get(k: KeyPrimitive): number {
    if (typeof k === "number" && (k | 0) === k) return this.getInt(k);
    if (typeof k === "string") {
      const n = this.strings.encode(k);
      return this.strings.get(this.strings.scratchBytes, 0, n);
    }
    const id = this.others.get(k);
    return id === undefined ? -1 : id;
  }

  /** The id of the 32-bit integer key `k`, or -1. */
  getInt(k: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = slotOf(k, mask); ; s = (s + 1) & mask) {
      const id = slots[2 * s + 1];
      if (id === EMPTY) return -1;
      if (slots[2 * s] === k) return id - 1;
    }
  }

  /** Maps the 32-bit integer key `k` (not in the table yet) to `id`. */
  addInt(k: number, id: number): void {
    if (2 * (this.ints + 1) > this.mask + 1) this.grow();
    this.put(k, id);
    this.ints++;
  }

  /** The id of the string key whose UTF-8 bytes are `bytes[start..end)`, or -1. */
  getUtf8(bytes: Uint8Array, start: number, end: number): number {
    return this.strings.get(bytes, start, end);
  }

  /** Maps `k` (not in the table yet) to `id` (non-negative). */
  add(k: KeyPrimitive, id: number): void {
    if (typeof k === "string") {
      const n = this.strings.encode(k);
      this.strings.add(this.strings.scratchBytes, 0, n, id);
      return;
    }
    if (!(typeof k === "number" && (k | 0) === k)) {
      this.others.set(k, id);
      return;
    }
    this.addInt(k, id);
  }

  /** Maps the string key whose UTF-8 bytes are `bytes[start..end)` (not in the table yet) to `id`. */
  addUtf8(bytes: Uint8Array, start: number, end: number, id: number): void {
    this.strings.add(bytes, start, end, id);
  }

  /** Removes `k` if present. */
  delete(k: KeyPrimitive): void {
    if (typeof k === "string") {
      const n = this.strings.encode(k);
      this.strings.delete(this.strings.scratchBytes, 0, n);
      return;
    }
    if (!(typeof k === "number" && (k | 0) === k)) {
      this.others.delete(k);
      return;
    }
    const slots = this.slots;
    const mask = this.mask;
    let s = slotOf(k, mask);
    for (; ; s = (s + 1) & mask) {
      if (slots[2 * s + 1] === EMPTY) return;
      if (slots[2 * s] === k) break;
    }
    this.ints--;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home allows.
    for (let hole = s, j = (s + 1) & mask; ; j = (j + 1) & mask) {
      if (slots[2 * j + 1] === EMPTY) {
        slots[2 * hole] = 0;
        slots[2 * hole + 1] = EMPTY;
        return;
      }
      const home = slotOf(slots[2 * j], mask);
      // Entry j may fill the hole unless its home lies cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        slots[2 * hole] = slots[2 * j];
        slots[2 * hole + 1] = slots[2 * j + 1];
        hole = j;
      }
    }
  }

  private put(k: number, id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let s = slotOf(k, mask);
    while (slots[2 * s + 1] !== EMPTY) s = (s + 1) & mask;
    slots[2 * s] = k;
    slots[2 * s + 1] = id + 1;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== EMPTY) this.put(old[s], old[s + 1] - 1);
  }
}
