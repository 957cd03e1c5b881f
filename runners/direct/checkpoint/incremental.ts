/**
 * Incremental checkpoints, as Flink's RocksDB backend shares SST files between checkpoints: an
 * operator on the disk backend writes, at each checkpoint, only the entries of keyed state changed
 * since the last checkpoint it knows completed (its `base`; see `OperatorSnapshot.incremental`).
 * Each instance file names the checkpoints it builds on in a small `refs-<i>.json` beside it, so
 * retention keeps them; loading follows the chain back to checkpoints where every instance wrote
 * all its entries and replays it, oldest first, into the whole state of each transform.
 */
import { BeamlineError } from "../../../sdk/errors";
import type { OperatorSnapshot } from "../contract/operator";

/** The name of instance `index`'s file of the checkpoints its state builds on. */
export function refsFile(index: number): string {
  return `refs-${index}.json`;
}

/** The checkpoints the snapshots of one instance build on (their bases), ascending. */
export function basesOf(snapshots: Iterable<OperatorSnapshot>): number[] {
  const bases = new Set<number>();
  for (const s of snapshots) if (s.incremental?.base != null) bases.add(s.incremental.base);
  return [...bases].sort((a, b) => a - b);
}

/**
 * The whole snapshots of checkpoint `id`'s transforms: those written incrementally rebuilt from the
 * chain of checkpoints they build on (read with `load`, which returns null for a checkpoint that is
 * gone), the others as they are. A rebuilt transform's entries kept in snapshots are merged into its
 * first instance's snapshot (a restore reshards them by key group); the state files of the chain
 * (`fileOf` gives the path of checkpoint `c`'s file `name`) are listed in order for the restoring
 * instances to replay; every snapshot is marked `incremental: { base: null, of: id, replay }`.
 */
export function rebuildChain(
  id: number,
  snapshots: ReadonlyMap<string, readonly OperatorSnapshot[]>,
  load: (id: number) => ReadonlyMap<string, readonly OperatorSnapshot[]> | null,
  fileOf: (id: number, name: string) => string,
  where: string,
): Map<string, OperatorSnapshot[]> {
  const out = new Map<string, OperatorSnapshot[]>();
  const loaded = new Map<number, ReadonlyMap<string, readonly OperatorSnapshot[]>>([[id, snapshots]]);
  const at = (c: number, transform: string): readonly OperatorSnapshot[] => {
    let m = loaded.get(c);
    if (!m) {
      const l = load(c);
      if (!l) {
        throw new BeamlineError({
          code: "BL_CHECKPOINT_CHAIN_BROKEN",
          where,
          value: { checkpoint: id, missing: c, transform },
          rule: `checkpoint ${id} holds only what changed since checkpoint ${c} (state on disk is checkpointed incrementally), and checkpoint ${c} is missing or incomplete`,
          fix: "keep the checkpoint directory whole (retention keeps the checkpoints others build on), or start afresh without --resume",
        });
      }
      loaded.set(c, (m = l));
    }
    return m.get(transform) ?? [];
  };
  for (const [transform, snaps] of snapshots) {
    if (!snaps.some((s) => s.incremental)) {
      out.set(transform, [...snaps]);
      continue;
    }
    const chain = new Set<number>([id]);
    const queue = [...basesOf(snaps)];
    while (queue.length > 0) {
      const c = queue.pop()!;
      if (chain.has(c)) continue;
      chain.add(c);
      queue.push(...basesOf(at(c, transform)));
    }
    const entries = new Map<string, readonly [number, unknown]>();
    const replay: { file: string; reset: boolean }[] = [];
    for (const c of [...chain].sort((a, b) => a - b)) {
      const files = at(c, transform);
      const reset = files.length > 0 && files.every((s) => s.incremental?.base == null);
      if (reset) entries.clear();
      let first = reset;
      for (const s of files) {
        if (s.incremental?.file) {
          replay.push({ file: fileOf(c, s.incremental.file), reset: first });
          first = false;
        }
        for (const [kg, e] of s.keyed ?? []) {
          const [entryId, value] = e as [string, unknown];
          if (value === undefined) entries.delete(entryId);
          else entries.set(entryId, [kg, [entryId, value]]);
        }
      }
    }
    const whole = [...entries.values()];
    out.set(
      transform,
      snaps.map((s, i) => ({ ...s, keyed: i === 0 ? whole : [], incremental: { base: null, of: id, ...(replay.length > 0 ? { replay } : {}) } })),
    );
  }
  return out;
}
