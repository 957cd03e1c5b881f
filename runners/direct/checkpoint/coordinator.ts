/**
 * Taking and loading checkpoints of a run. Every instance writes its operators' snapshots into the
 * checkpoint's folder (`instance-<i>.bin`, `v8.serialize` of the snapshots by transform name); once
 * every instance has written, the coordinator completes the checkpoint by writing its manifest,
 * last. Loading gathers every instance's snapshots of each transform, for {@link reshard}.
 */
import * as v8 from "node:v8";
import { KEY_GROUPS } from "../data/key-groups";
import type { OperatorSnapshot } from "../contract/operator";
import { CheckpointStore, type CompletedCheckpoint } from "./store";

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
}

/** A checkpoint's snapshots, as loaded: every instance's snapshot of each transform. */
export interface LoadedCheckpoint {
  readonly id: number;
  /** Parallelism of the run that took it. */
  readonly parallelism: number;
  readonly snapshots: ReadonlyMap<string, readonly OperatorSnapshot[]>;
}

/** The name of instance `index`'s state file. */
export function instanceFile(index: number): string {
  return `instance-${index}.bin`;
}

/** Writes instance `index`'s snapshots (by transform name) into checkpoint `id` of `store` (any thread); returns the file's size. */
export function writeInstanceFile(store: CheckpointStore, id: number, index: number, snapshots: ReadonlyMap<string, OperatorSnapshot>): number {
  return store.write(id, instanceFile(index), v8.serialize([...snapshots]));
}

/** Takes the checkpoints of one run into a {@link CheckpointStore}. */
export class CheckpointCoordinator {
  /** How long each completed checkpoint took, from trigger to manifest (ms). */
  readonly durations: number[] = [];
  /** The bytes of state files of each completed checkpoint. */
  readonly sizes: number[] = [];
  /** The latest checkpoint this coordinator completed, or null. */
  lastCompleted: number | null = null;
  /** Checkpoints begun that never completed because their run attempt failed. */
  failed = 0;
  private readonly started = new Map<number, { at: number; files: Record<string, number> }>();

  constructor(
    readonly store: CheckpointStore,
    private readonly fingerprint: string,
    /** Instances of the run that write checkpoints (set by a run before it starts). */
    public parallelism: number,
  ) {}

  /** Starts the next checkpoint; returns its id. */
  begin(): number {
    const id = this.store.nextId();
    this.store.begin(id);
    this.started.set(id, { at: Date.now(), files: {} });
    return id;
  }

  /** The run attempt failed: the checkpoints it began and did not complete count as failed, and are forgotten. */
  abandon(): void {
    this.failed += this.started.size;
    this.started.clear();
  }

  /** Records that instance `index` wrote its file of checkpoint `id` (`bytes` long). */
  instanceWritten(id: number, index: number, bytes: number): void {
    const s = this.started.get(id);
    if (!s) throw new Error(`internal: checkpoint ${id} was not begun`);
    s.files[instanceFile(index)] = bytes;
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
      extra: {},
    });
    this.durations.push(durationMs);
    this.sizes.push(Object.values(s.files).reduce((a, b) => a + b, 0));
    this.lastCompleted = id;
    return durationMs;
  }
}

/**
 * The latest completed checkpoint of `store`, loaded, or null when there is none. A checkpoint of
 * another pipeline (another fingerprint) is a clear error.
 */
export function loadLatestCheckpoint(store: CheckpointStore, fingerprint: string): LoadedCheckpoint | null {
  const latest = store.latest(fingerprint);
  return latest ? loadCheckpoint(store, latest) : null;
}

/** Loads a completed checkpoint of `store`. */
export function loadCheckpoint(store: CheckpointStore, latest: CompletedCheckpoint): LoadedCheckpoint {
  const snapshots = new Map<string, OperatorSnapshot[]>();
  for (let i = 0; i < latest.manifest.parallelism; i++) {
    const name = instanceFile(i);
    if (!(name in latest.manifest.files)) continue;
    const entries = v8.deserialize(store.read(latest.id, name)) as [string, OperatorSnapshot][];
    for (const [transform, snap] of entries) {
      let list = snapshots.get(transform);
      if (!list) snapshots.set(transform, (list = []));
      list.push(snap);
    }
  }
  return { id: latest.id, parallelism: latest.manifest.parallelism, snapshots };
}
