/**
 * The sink contract: exactly-once output by two-phase commit, in four named stages.
 *
 * 1. **Write.** A {@link SinkWriter} stages batches where nobody reads them as output (a staging
 *    directory, an open transaction).
 * 2. **Prepare.** At a checkpoint's barrier, or at the end of a run that takes no checkpoints, the
 *    writer makes what it staged durable and returns {@link Committable}s: plain JSON saying what a
 *    committer needs to publish it. The runner keeps them in the checkpoint.
 * 3. **Commit.** Once that checkpoint is complete (its manifest is written), the {@link Committer}
 *    publishes them. A commit is idempotent: done is done.
 * 4. **Recover.** A run restored from a checkpoint commits that checkpoint's committables again (some
 *    may have been published before the crash, which is no error), then aborts whatever was staged
 *    after it ({@link Sink.abortLingering}), so output the checkpoint does not cover never appears.
 *
 * A run that fails without checkpoints aborts all it staged and prepared: nothing where output
 * belongs. A runner drives a sink from this contract alone; {@link recoverSink} is stage 4 whole.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "./batch";
import type { DeadLetter } from "./dead-letter";
import type { JsonValue } from "./graph";

/**
 * What a committer needs to publish one piece of prepared output: staged and final file names, or a
 * transactional id and producer epoch. JSON, because checkpoints keep it and other threads read it.
 */
export type Committable = JsonValue;

/** Which writer of a sink this is: writer `index` of `count` (a sink's shard). */
export interface WriterContext {
  /** The writer's index, from 0. */
  readonly index: number;
  /** How many writers the sink has (its shards). */
  readonly count: number;
  /**
   * What identifies the run and this write in it, the same across the run's attempts, restarts and
   * resumes (the direct runner gives the pipeline's fingerprint and the write's name); undefined when
   * the runner cannot tell. A sink may name what it stages after it, so that an attempt can remove
   * what earlier attempts left without touching what another run, or another write, stages beside it.
   */
  readonly run?: string;
  /** The unique name of the write transform, for dead letters; undefined when the runner cannot tell. */
  readonly transform?: string;
  /**
   * Where rows the writer cannot write go, when the write has a `deadLetter` output; undefined when it
   * has none (the writer then fails the run naming the row). A writer calls it from `write`, for rows
   * of the batch being written, never later: the dead letters then go downstream before the barrier
   * that covers their rows, so a checkpoint holds them once, and a run restored from it neither
   * repeats nor loses them.
   */
  readonly deadLetter?: (letters: readonly DeadLetter[]) => void;
}

/** Stages 1 and 2: stages batches, and prepares what it staged for commit. */
export interface SinkWriter<C extends Committable = Committable> {
  /** Stages a batch. Nothing staged is visible where output belongs before a commit. */
  write(batch: ElementBatch): void | Promise<void>;
  /**
   * Prepares what was written since the last prepare: makes it durable in the staging area, publishes
   * nothing, and returns the committables that publish it. The writer then stages into something new.
   * `checkpointId` is the checkpoint whose barrier this is, or null at the end of a run that takes no
   * checkpoints (its only prepare, which returns committables even when nothing was written, so that
   * an empty output still has its files); for a checkpoint with nothing written it returns none.
   */
  prepareCommit(checkpointId: number | null): Promise<C[]>;
  /** Throws away what was written since the last prepare (what was prepared is the committer's). */
  abort(): Promise<void>;
}

/** Stage 3: publishes prepared output, or throws it away. */
export interface Committer<C extends Committable = Committable> {
  /**
   * Publishes everything the committables stand for; returns the names of what was published (file
   * paths, or none) in a stable order. Idempotent: a committable committed before (by this run or one
   * that crashed) is published already and is not an error, even when what it published has since
   * been moved or deleted by a consumer (done is done: it is not published again). If it throws, nothing it published in
   * this call stays published and the committables can be committed or aborted later.
   */
  commit(committables: readonly C[]): Promise<string[]>;
  /** Throws away prepared output that will never be committed. Idempotent. */
  abort(committables: readonly C[]): Promise<void>;
}

/** What a run restored from a checkpoint tells a sink before any of its writers writes again. */
export interface SinkRecovery<C extends Committable = Committable> {
  /** The checkpoint the run restored. */
  readonly checkpointId: number;
  /** The committables that checkpoint recorded: published (again) by stage 4 before anything is aborted. */
  readonly committables: readonly C[];
}

/** A transactional sink: its writers, its committer, and how it recovers. */
export interface Sink<C extends Committable = Committable> {
  /** Opens writer `context.index` of `context.count`. */
  createWriter(context: WriterContext): Promise<SinkWriter<C>>;
  /** Publishes what the writers prepared. */
  readonly committer: Committer<C>;
  /**
   * Stage 4, after the restored checkpoint's committables were committed: aborts everything this sink
   * staged or prepared that `recovery.committables` does not hold (files lingering in staging, open
   * transactions of later checkpoints). Runners call it once per restore, before any writer writes.
   */
  abortLingering(recovery: SinkRecovery<C>): Promise<void>;
  /** How many writers (shards) to open; the runner decides when undefined. */
  readonly numShards?: number;
  /**
   * The bytes a writer appends for a batch, when the format allows: a runner may then encode batches
   * where they are produced (on other threads) and hand the writer `encodedBatch`es (see
   * `encoded-batch.ts`), which its writers must take as well. Undefined when they cannot.
   */
  readonly encode?: (batch: arrow.RecordBatch) => Uint8Array;
  /**
   * A writer of shard `shard` of a stable input (one a runner hands the sink only once a checkpoint
   * holds it, and again in the same order after a failure), which writes it exactly once by numbering
   * the shard's rows; undefined when the sink cannot.
   */
  readonly sequencedWriter?: (shard: number) => SequencedWriter;
}

/** Writes one shard of a stable input exactly once (see `Sink.sequencedWriter`). */
export interface SequencedWriter {
  /** Writes the rows of `batch`, numbered from `first`, that were not written before; resolves to how many it wrote. */
  write(batch: ElementBatch, first: number): Promise<number>;
}

/**
 * Stage 4 whole: commits a restored checkpoint's committables again (idempotently), then aborts what
 * was staged after that checkpoint. Returns what the commit published.
 */
export async function recoverSink<C extends Committable>(sink: Sink<C>, recovery: SinkRecovery<C>): Promise<string[]> {
  const published = recovery.committables.length > 0 ? await sink.committer.commit(recovery.committables) : [];
  await sink.abortLingering(recovery);
  return published;
}

/** URN of Beamline's write primitive. */
export const WRITE_URN = "beamline:transform:write:v1";

/** The payload of a {@link WRITE_URN} transform: what is written; the sink itself is the runtime object. */
export interface WritePayload {
  /** The kind of in-process sink (`memory`, `assertion`), if it is one. */
  readonly sink?: string;
  /** The file format, for a file sink. */
  readonly format?: string;
  /** The sink's own parameters (prefix, suffix, shards, …). */
  readonly [extra: string]: JsonValue | undefined;
}
