/**
 * Restoring at another parallelism: the snapshots every instance took of one transform become the
 * state of one instance of the restoring run — the key groups it owns, its share of the items
 * (item `i` of all instances' items, in instance order, goes to instance `i % count`), the placed
 * items whose slot names it (slot `s` goes to instance `s % count`), the first
 * instance's common state and the minimum watermark. When the transform had finished on every
 * instance, it restores finished.
 */
import type { OperatorSnapshot } from "../contract/operator";
import { KEY_GROUPS } from "../data/key-groups";

/** Which state an instance of the restoring run takes. */
export interface ReshardTarget {
  /** Whether the instance owns a key group. */
  ownsKeyGroup(keyGroup: number): boolean;
  /** The instance's index and the number of instances that run the transform. */
  readonly index: number;
  readonly count: number;
}

/** The state of one instance of the restoring run, from the snapshots of every instance of the checkpointed one. */
export function reshard(snapshots: readonly OperatorSnapshot[], target: ReshardTarget): OperatorSnapshot {
  const keyed: (readonly [number, unknown])[] = [];
  const items: unknown[] = [];
  const placed: (readonly [number, unknown])[] = [];
  let all = 0;
  let common: unknown = undefined;
  let watermark: number | undefined;
  const finished = snapshots.length > 0 && snapshots.every((s) => s.finished);
  for (const s of snapshots) {
    for (const entry of s.keyed ?? []) if (target.ownsKeyGroup(entry[0])) keyed.push(entry);
    for (const item of s.items ?? []) if (all++ % target.count === target.index) items.push(item);
    for (const entry of s.placed ?? []) if (entry[0] % target.count === target.index) placed.push(entry);
    if (common === undefined && s.common !== undefined) common = s.common;
    if (s.watermark !== undefined) watermark = watermark === undefined ? s.watermark : Math.min(watermark, s.watermark);
  }
  // Keyed state written incrementally comes whole from a loaded chain (see incremental.ts): its form passes on.
  const found = snapshots.find((s) => s.incremental)?.incremental;
  // State files to replay hold every key group: the instance keeps those it owns.
  const incremental = found?.replay ? { ...found, keyGroups: Array.from({ length: KEY_GROUPS }, (_, g) => g).filter((g) => target.ownsKeyGroup(g)) } : found;
  return { keyed, items, ...(incremental ? { incremental } : {}), ...(placed.length > 0 ? { placed } : {}), ...(common !== undefined ? { common } : {}), ...(watermark !== undefined ? { watermark } : {}), ...(finished ? { finished } : {}) };
}
