/**
 * The checkpoint directory. Checkpoint `n` lives in `DIR/chk-<n>/`: state files first, then the
 * manifest `_manifest.json`, written atomically and last — a checkpoint without a manifest is
 * incomplete and never restored. Completing a checkpoint removes completed ones beyond the
 * retained count, and incomplete ones older than it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, IOError } from "../../../sdk/errors";
import { faultPoint } from "../faults/fault-points";
import type { JsonValue } from "../../../sdk/graph";
import { fsyncDir, writeAtomic, writeDurable } from "./atomic-file";
import { makeDirectory } from "../../../sdk/make-directory";

/** The file that makes a checkpoint complete. */
export const MANIFEST = "_manifest.json";

/** What a completed checkpoint records. */
export interface CheckpointManifest {
  /** The checkpoint's number, increasing within a directory. */
  readonly id: number;
  /** The pipeline's graph fingerprint: a checkpoint restores only into the same graph. */
  readonly fingerprint: string;
  /** Parallelism of the run that took it. */
  readonly parallelism: number;
  /** Key groups keyed state was stored by. */
  readonly keyGroups: number;
  /** When it completed (ms since the epoch) and how long it took from trigger to manifest (ms). */
  readonly completedAt: number;
  readonly durationMs: number;
  /** The state files, relative to the checkpoint's directory, with their sizes in bytes. */
  readonly files: Readonly<Record<string, number>>;
  /** Anything else the runner records: source positions, staged sink output to commit. */
  readonly extra: Readonly<Record<string, JsonValue>>;
}

/** A completed checkpoint found in the directory. */
export interface CompletedCheckpoint {
  readonly id: number;
  readonly dir: string;
  readonly manifest: CheckpointManifest;
}

const CHK = /^chk-(\d+)$/;
/** The files naming the checkpoints an instance's state builds on (`refsFile` in `incremental.ts`). */
const REFS = /^refs-\d+\.json$/;

/** Options of a {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** How many completed checkpoints to keep. Default 3. */
  readonly retained?: number;
}

/** A checkpoint directory. */
export class CheckpointStore {
  /** How many completed checkpoints are kept. */
  readonly retained: number;

  constructor(
    /** The directory holding `chk-<n>/` folders. */
    readonly dir: string,
    options: CheckpointStoreOptions = {},
  ) {
    this.retained = options.retained ?? 3;
    if (!Number.isInteger(this.retained) || this.retained < 1) {
      throw new BeamlineError({
        code: "BL_BAD_CHECKPOINTS_RETAINED",
        value: options.retained,
        rule: "the number of retained checkpoints must be a positive integer",
        fix: "pass --checkpoints-retained=N with N >= 1",
      });
    }
    try {
      makeDirectory(dir);
    } catch (e) {
      throw new IOError({
        code: "BL_CHECKPOINT_DIR",
        where: dir,
        value: (e as NodeJS.ErrnoException).code ?? String(e),
        rule: `the checkpoint directory cannot be created: ${(e as Error).message}`,
        fix: "pass a --checkpoint-dir whose parent is a writable directory",
        cause: e,
      });
    }
  }

  /** The folder of checkpoint `id`. */
  pathOf(id: number): string {
    return path.join(this.dir, `chk-${id}`);
  }

  /** Checkpoint numbers present (complete or not), ascending. */
  private ids(): number[] {
    return fs
      .readdirSync(this.dir)
      .map((n) => CHK.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** The manifest of checkpoint `id`, or null when it is incomplete or unreadable. */
  manifestOf(id: number): CheckpointManifest | null {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(this.pathOf(id), MANIFEST), "utf8")) as CheckpointManifest;
      return m.id === id ? m : null;
    } catch {
      return null;
    }
  }

  /** The next checkpoint number: one more than any present. */
  nextId(): number {
    const ids = this.ids();
    return ids.length === 0 ? 1 : ids[ids.length - 1] + 1;
  }

  /** Starts checkpoint `id`: makes its (empty) folder. */
  begin(id: number): void {
    const dir = this.pathOf(id);
    fs.rmSync(dir, { recursive: true, force: true });
    makeDirectory(dir);
  }

  /** Writes a state file of checkpoint `id` durably; returns its size. */
  write(id: number, name: string, data: string | Uint8Array): number {
    faultPoint("checkpoint-write");
    const file = path.join(this.pathOf(id), name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeDurable(file, data);
    return typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  }

  /** Abandons checkpoint `id`, which failed: removes what it wrote, as far as it can. */
  discard(id: number): void {
    try {
      fs.rmSync(this.pathOf(id), { recursive: true, force: true });
    } catch {
      // What cannot be removed now is pruned once a later checkpoint completes.
    }
  }

  /** Reads a state file of a checkpoint. */
  read(id: number, name: string): Buffer {
    return fs.readFileSync(path.join(this.pathOf(id), name));
  }

  /** Completes checkpoint `manifest.id`: writes its manifest atomically, last, then applies retention. */
  complete(manifest: CheckpointManifest): void {
    fsyncDir(this.pathOf(manifest.id));
    writeAtomic(path.join(this.pathOf(manifest.id), MANIFEST), JSON.stringify(manifest, null, 1));
    this.prune();
  }

  /** Removes completed checkpoints beyond the retained count, and incomplete ones older than the newest completed. */
  prune(): void {
    const ids = this.ids();
    const complete = ids.filter((id) => this.manifestOf(id) !== null);
    const keep = new Set(complete.slice(-this.retained));
    // Checkpoints written incrementally build on older ones: those stay while a kept one needs them.
    for (const queue = [...keep]; queue.length > 0; ) {
      for (const base of this.basesOf(queue.pop()!)) if (!keep.has(base)) {
        keep.add(base);
        queue.push(base);
      }
    }
    const newest = complete.length > 0 ? complete[complete.length - 1] : -Infinity;
    for (const id of ids) {
      const incomplete = !complete.includes(id);
      if ((incomplete && id < newest) || (!incomplete && !keep.has(id))) fs.rmSync(this.pathOf(id), { recursive: true, force: true });
    }
  }

  /** The checkpoints checkpoint `id`'s state files build on (see `incremental.ts`), ascending. */
  basesOf(id: number): number[] {
    const bases = new Set<number>();
    let names: string[];
    try {
      names = fs.readdirSync(this.pathOf(id));
    } catch {
      return [];
    }
    for (const n of names) {
      if (!REFS.test(n)) continue;
      for (const b of JSON.parse(fs.readFileSync(path.join(this.pathOf(id), n), "utf8")) as number[]) bases.add(b);
    }
    return [...bases].sort((a, b) => a - b);
  }

  /** Completed checkpoints, oldest first. */
  completed(): CompletedCheckpoint[] {
    const out: CompletedCheckpoint[] = [];
    for (const id of this.ids()) {
      const manifest = this.manifestOf(id);
      if (manifest) out.push({ id, dir: this.pathOf(id), manifest });
    }
    return out;
  }

  /** The newest completed checkpoint, or null; with `fingerprint`, a mismatch is a clear error. */
  latest(fingerprint?: string): CompletedCheckpoint | null {
    const all = this.completed();
    const last = all.length > 0 ? all[all.length - 1] : null;
    if (last && fingerprint !== undefined && last.manifest.fingerprint !== fingerprint) {
      throw new BeamlineError({
        code: "BL_CHECKPOINT_OTHER_PIPELINE",
        where: last.dir,
        value: { checkpoint: last.manifest.fingerprint.slice(0, 12), pipeline: fingerprint.slice(0, 12) },
        rule: "the latest checkpoint was taken by a pipeline with a different graph (other transforms, names or options)",
        fix: "resume with the same pipeline file and options, or point --checkpoint-dir at a fresh directory",
      });
    }
    return last;
  }
}
