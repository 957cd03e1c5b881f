/**
 * Key groups: every grouping key hashes to one of a fixed number of key groups, and each worker owns
 * a contiguous range of them. Keyed state is stored by key group, so a checkpoint taken at one
 * parallelism can be restored at another by handing the groups out anew.
 */
import type { KeyPrimitive } from "./keys";

/** How many key groups there are, whatever the parallelism (the most workers a keyed stage can use). */
export const KEY_GROUPS = 128;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A 32-bit hash of a grouping key (FNV-1a over string code units, mixed float bits for numbers). */
export function hashKey(k: KeyPrimitive): number {
  if (typeof k === "number") {
    f64[0] = k === 0 ? 0 : k; // -0 and 0 are one key
    let h = Math.imul(u32[0] ^ 0x9e3779b9, 0x85ebca6b) ^ u32[1];
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return (h ^ (h >>> 13)) >>> 0;
  }
  if (typeof k === "boolean") return k ? 0x5bd1e995 : 0x1b873593;
  if (k === null) return 0x27d4eb2f;
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The key group of a key. */
export function keyGroupOf(k: KeyPrimitive): number {
  return hashKey(k) % KEY_GROUPS;
}

/** The worker that owns a key group at a parallelism: contiguous ranges, as even as possible. */
export function workerOfKeyGroup(keyGroup: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / KEY_GROUPS);
}
