/**
 * A map from grouping keys to non-negative ids, faster than a JavaScript Map for the common case of
 * 32-bit integer keys: those live in an open-addressing table (linear probing, key and id side by
 * side in one Int32Array, so a lookup touches one cache line); every other key (strings, floats,
 * booleans, null) goes to a Map. Keys compare as a Map compares them (SameValueZero: 0 and -0 are
 * one key, NaN is one key).
 */
import type { KeyPrimitive } from "../keys";

const EMPTY = 0;

/** A 32-bit integer key's home slot in a table of `mask + 1` slots. */
function slotOf(k: number, mask: number): number {
  const h = Math.imul(k, 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}

/** Grouping keys to ids. */
export class KeyTable {
  /** Pairs of (key, id + 1); an id slot of 0 marks an empty pair. */
  private slots = new Int32Array(2 * 64);
  private mask = 63;
  private ints = 0;
  private readonly others = new Map<KeyPrimitive, number>();

  /** How many keys the table holds. */
  get size(): number {
    return this.ints + this.others.size;
  }

  /** The id of `k`, or -1. */
  get(k: KeyPrimitive): number {
    if (typeof k === "number" && (k | 0) === k) {
      const slots = this.slots;
      const mask = this.mask;
      for (let s = slotOf(k, mask); ; s = (s + 1) & mask) {
        const id = slots[2 * s + 1];
        if (id === EMPTY) return -1;
        if (slots[2 * s] === k) return id - 1;
      }
    }
    const id = this.others.get(k);
    return id === undefined ? -1 : id;
  }

  /** Maps `k` (not in the table yet) to `id` (non-negative). */
  add(k: KeyPrimitive, id: number): void {
    if (!(typeof k === "number" && (k | 0) === k)) {
      this.others.set(k, id);
      return;
    }
    if (2 * (this.ints + 1) > this.mask + 1) this.grow();
    this.put(k, id);
    this.ints++;
  }

  /** Removes `k` if present. */
  delete(k: KeyPrimitive): void {
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
