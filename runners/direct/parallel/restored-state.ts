/**
 * The share of a checkpoint each instance of a parallel run restores: a transform placed on every
 * instance takes, on instance i of N, the key groups worker i owns and every N-th item (source
 * parts among them: parts of a source are re-assigned, and those not yet started are read from their
 * start); a transform placed on instance 0 alone takes everything there.
 */
import type { LoadedCheckpoint } from "../checkpoint/coordinator";
import { reshard } from "../checkpoint/reshard";
import type { OperatorSnapshot } from "../contract/operator";
import { workerOfKeyGroup } from "../data/key-groups";
import type { Layout } from "./layout";

/** Instance `index`'s state to restore from `loaded`, by transform name. */
export function restoredShare(loaded: LoadedCheckpoint, lay: Layout, index: number): [string, OperatorSnapshot][] {
  const out: [string, OperatorSnapshot][] = [];
  for (const [name, snaps] of loaded.snapshots) {
    const single = lay.placement[name] === "single";
    if (single && index !== 0) continue;
    const count = single ? 1 : lay.parallelism;
    const at = single ? 0 : index;
    out.push([name, reshard(snaps, { ownsKeyGroup: (g) => workerOfKeyGroup(g, count) === at, index: at, count })]);
  }
  return out;
}
