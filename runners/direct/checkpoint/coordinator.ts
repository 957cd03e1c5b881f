/**
 * Taking and loading checkpoints of a run. Every instance writes its operators' snapshots into the
 * checkpoint's folder (`instance-<i>.bin`, `v8.serialize` of the snapshots by transform name); once
 * every instance has written, the coordinator completes the checkpoint by writing its manifest,
 * last. Loading gathers every instance's snapshots of each transform, for {@link reshard}.
 */
import * as path from "node:path";
import * as v8 from "node:v8";
import type { JsonValue } from "../../../sdk/graph";
import { KEY_GROUPS } from "../data/key-groups";
import { countsOf, type MetricCounts } from "../contract/run-metrics";
import type { OperatorSnapshot } from "../contract/operator";
import { basesOf, rebuildChain, refsFile } from "./incremental";
import { CheckpointStore, type CheckpointManifest, type CompletedCheckpoint } from "./store";

/** Checkpointing options of a run. */
export interface CheckpointOptions {
  /** The checkpoint directory. */
  readonly dir: string;
  /** Milliseconds between the start of one checkpoint and the trigger of the next. */
  readonly intervalMs: number;
  /** Completed checkpoints to keep. Default 3. */
  readonly retained?: number;
  /** Continue from the latest completed checkpoint in `dir` (none there: start from the beginning). */
  readonly resume?: boolean;
  /** Resume even though the pipeline's code changed since the checkpoint was taken. Default false. */
  readonly forceCodeChange?: boolean;
  /** Failed checkpoints in a row the run goes on after (see `failures.ts`). Default 3. */
  readonly tolerableFailures?: number;
}

/** A checkpoint's snapshots, as loaded: every instance's snapshot of each transform. */
export interface LoadedCheckpoint {
  readonly id: number;
  /** Parallelism of the run that took it. */
  readonly parallelism: number;
  readonly snapshots: ReadonlyMap<string, readonly OperatorSnapshot[]>;
  /** What the run had counted when it was taken (absent in checkpoints of older versions). */
  readonly counts?: MetricCounts;
}

/** The sum of several counts. */
export function addCounts(all: readonly MetricCounts[]): MetricCounts {
  const rows = new Map<string, number>();
  const counters = new Map<string, Map<string, number>>();
  for (const c of all) {
    for (const [name, n] of c.rowsOut) rows.set(name, (rows.get(name) ?? 0) + n);
    for (const [name, cs] of c.counters) {
      let m = counters.get(name);
      if (!m) counters.set(name, (m = new Map()));
      for (const [k, n] of cs) m.set(k, (m.get(k) ?? 0) + n);
    }
  }
  return countsOf({ rowsOut: rows, counters });
}

/** The name of instance `index`'s state file. */
export function instanceFile(index: number): string {
  return `instance-${index}.bin`;
}

/** Writes instance `index`'s snapshots (by transform name) into checkpoint `id` of `store` (any thread); returns the file's size. */
export function writeInstanceFile(store: CheckpointStore, id: number, index: number, snapshots: ReadonlyMap<string, OperatorSnapshot>): number {
  const bases = basesOf(snapshots.values());
  const refs = bases.length > 0 ? store.write(id, refsFile(index), JSON.stringify(bases)) : 0;
  // State files operators wrote themselves (the disk backend's) count toward the checkpoint's size.
  let own = 0;
  for (const s of snapshots.values()) own += s.incremental?.bytes ?? 0;
  return refs + own + store.write(id, instanceFile(index), v8.serialize([...snapshots]));
}

/** Takes the checkpoints of one run into a {@link CheckpointStore}. */
export class CheckpointCoordinator {
  /** How long each completed checkpoint took, from trigger to manifest (ms). */
  readonly durations: number[] = [];
  /** The bytes of state files of each completed checkpoint. */
  readonly sizes: number[] = [];
  /** The latest checkpoint this coordinator completed, or null. */
  lastCompleted: number | null = null;
  /** Checkpoints begun that never completed: they could not be written, or their run attempt failed. */
  failed = 0;
  private readonly started = new Map<number, { at: number; files: Record<string, number>; counts: MetricCounts[] }>();
  /** What the run had counted when the state an attempt restores was taken (set by a run before each attempt). */
  base: MetricCounts | null = null;
  /** The number of the next checkpoint: one more than any in the directory when the run opened it. */
  private next: number;

  constructor(
    readonly store: CheckpointStore,
    private readonly fingerprint: string,
    /** Instances of the run that write checkpoints (set by a run before it starts). */
    public parallelism: number,
    /** What every manifest records beyond the state (such as the pipeline's code, see `code-fingerprint.ts`). */
    private readonly extra: Readonly<Record<string, JsonValue>> = {},
  ) {
    this.next = store.nextId();
  }

  /** The number of the next checkpoint, taken (numbers increase even when checkpoints fail). */
  issue(): number {
    return this.next++;
  }

  /** Starts checkpoint `id` (from {@link issue}): makes its folder, which may fail. */
  begin(id: number): void {
    this.started.set(id, { at: Date.now(), files: {}, counts: [] });
    this.store.begin(id);
  }

  /** Checkpoint `id` could not be written: counts as failed, is forgotten, and what it wrote is removed as far as possible. */
  drop(id: number): void {
    if (this.started.delete(id)) this.failed++;
    this.store.discard(id);
  }

  /** The run attempt failed: the checkpoints it began and did not complete count as failed, and are forgotten. */
  abandon(): void {
    this.failed += this.started.size;
    this.started.clear();
  }

  /** Records that instance `index` wrote its file of checkpoint `id` (`bytes` long), having counted `counts` (by transform). */
  instanceWritten(id: number, index: number, bytes: number, counts: MetricCounts): void {
    const s = this.started.get(id);
    if (!s) throw new Error(`internal: checkpoint ${id} was not begun`);
    s.files[instanceFile(index)] = bytes;
    s.counts.push(counts);
  }

  /** Completes checkpoint `id` (every instance has written): the manifest, atomically, last. */
  complete(id: number): number {
    const s = this.started.get(id);
    if (!s) throw new Error(`internal: checkpoint ${id} was not begun`);
    this.started.delete(id);
    const durationMs = Date.now() - s.at;
    this.store.complete({
      id,
      fingerprint: this.fingerprint,
      parallelism: this.parallelism,
      keyGroups: KEY_GROUPS,
      completedAt: Date.now(),
      durationMs,
      files: s.files,
      extra: { ...this.extra, counts: addCounts(this.base ? [this.base, ...s.counts] : s.counts) as unknown as JsonValue },
    });
    this.durations.push(durationMs);
    this.sizes.push(Object.values(s.files).reduce((a, b) => a + b, 0));
    this.lastCompleted = id;
    return durationMs;
  }
}

/** Loads a completed checkpoint of `store`. */
export function loadCheckpoint(store: CheckpointStore, latest: CompletedCheckpoint): LoadedCheckpoint {
  const older = (id: number) => {
    const manifest = store.manifestOf(id);
    return manifest ? readSnapshots(store, id, manifest) : null;
  };
  const snapshots = rebuildChain(latest.id, readSnapshots(store, latest.id, latest.manifest), older, (id, name) => path.join(store.pathOf(id), name), latest.dir);
  const counts = latest.manifest.extra.counts as unknown as MetricCounts | undefined;
  return { id: latest.id, parallelism: latest.manifest.parallelism, snapshots, ...(counts ? { counts } : {}) };
}

/** Every instance's snapshots of each transform in checkpoint `id`, as written. */
function readSnapshots(store: CheckpointStore, id: number, manifest: CheckpointManifest): Map<string, OperatorSnapshot[]> {
  const snapshots = new Map<string, OperatorSnapshot[]>();
  for (let i = 0; i < manifest.parallelism; i++) {
    const name = instanceFile(i);
    if (!(name in manifest.files)) continue;
    const entries = v8.deserialize(store.read(id, name)) as [string, OperatorSnapshot][];
    for (const [transform, snap] of entries) {
      let list = snapshots.get(transform);
      if (!list) snapshots.set(transform, (list = []));
      list.push(snap);
    }
  }
  return snapshots;
}
