/** Sources and sinks: the read primitive drives a source; the write primitive a two-phase sink. */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, globalBatch } from "../../../sdk/batch";
import { DEAD_LETTER_TAG, deadLetterSchema, type DeadLetter } from "../../../sdk/dead-letter";
import { fingerprint, type JsonValue } from "../../../sdk/graph";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { recoverSink, type Committable, type Sink, type SinkWriter } from "../../../sdk/sink";
import type { BoundedSource, PartPosition } from "../../../sdk/source";
import type { CommitsAfterFinish, SourceDriver, SourceOperator } from "../contract/operator";
import { faultDelay, faultPoint } from "../faults/fault-points";
import { IO_RETRY_POLICY, retryAsync } from "../../../sdk/retry";
import { BeamlineError, IOError } from "../../../sdk/errors";
import type { Operator, OperatorContext } from "../contract/operator";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";

/**
 * The read operator. Every part of the source this instance owns reads concurrently; each chunk goes
 * downstream in one step, and the operator's watermark is the minimum over the parts that are neither
 * done nor idle. A source with `slotOf` has its parts placed: part with slot `s` is read by instance
 * `s % count`, at the start, after a restore at any parallelism (its state goes there), and when
 * `discover` finds it later; other sources' parts are dealt out by index. A source with
 * `checkpointCompleted` hears, when a checkpoint completes, the positions that checkpoint holds (and,
 * in a run without checkpoints that succeeded, the final positions).
 */
export function readOperator(ctx: OperatorContext): SourceOperator & Partial<CommitsAfterFinish> {
  const source = ctx.fn<BoundedSource>();
  const state = ctx.declareState();
  const slotOf = source.slotOf?.bind(source);
  /** Every part this instance reads, with where it got to: its share of a checkpoint's, or of the source's split. */
  const parts = slotOf ? state.placed<PartState>("placed-parts", (p) => slotOf(p.part)) : state.items<PartState>("parts");
  const { index, count } = ctx.options.instance ?? { index: 0, count: 1 };
  const mine = (part: JsonValue, i: number) => (slotOf ? slotOf(part) % count === index : i % count === index);
  /** The positions at each checkpoint's barrier not yet completed, oldest first (for `checkpointCompleted`). */
  const atBarriers: { readonly id: number; readonly positions: PartPosition[] }[] = [];
  const reportsCheckpoints = typeof source.checkpointCompleted === "function";
  /** After a part's read failed for good: the first checkpoint whose barrier passed since, and once it completed, its id. */
  let finalCheckpoint: { barrier: number | null; barriers: number; completed: number | null } | null = null;
  const reportCompleted = async (positions: PartPosition[]) => {
    try {
      await source.checkpointCompleted!(positions);
    } catch {
      // Informational only (consumer-group offsets, acks); the next completed checkpoint publishes again.
      ctx.count("checkpoint_publish_failures", 1);
    }
  };
  return {
    simulatedClock: source.simulatedClock === true,
    // A source that publishes completed checkpoints hears of the run's final one after it finished.
    ...(reportsCheckpoints ? { commitsAfterFinish: true as const } : {}),
    processBatch() {
      throw new Error(`internal: read transform ${ctx.transform.uniqueName} has no inputs`);
    },
    onCheckpoint(id) {
      if (finalCheckpoint) {
        finalCheckpoint.barrier ??= id;
        finalCheckpoint.barriers++;
      }
      if (reportsCheckpoints) atBarriers.push({ id, positions: parts.values.map((p) => ({ part: p.part, position: structuredClone(p.position) })) });
    },
    async onCommit(id) {
      if (finalCheckpoint?.barrier != null && id >= finalCheckpoint.barrier) finalCheckpoint.completed = id;
      let latest: PartPosition[] | null = null;
      while (atBarriers.length > 0 && atBarriers[0].id <= id) latest = atBarriers.shift()!.positions;
      if (latest === null || !reportsCheckpoints) return;
      await reportCompleted(latest);
    },
    async close(failed) {
      // A run without checkpoints that succeeded is complete as a whole: the final positions.
      if (reportsCheckpoints && !failed && !ctx.options.checkpointed) await reportCompleted(parts.values.map((p) => ({ part: p.part, position: p.position })));
    },
    async run(driver: SourceDriver) {
      if (!state.restored) {
        // In a step: no checkpoint barrier passes the source before it knows its parts (a checkpoint
        // taken earlier would restore with none).
        await driver.step(async () => {
          const all = await source.split(count);
          parts.values = all.filter(mine).map((part) => newPart(part, null));
        });
      }
      const states = parts.values;
      const discovering = source.boundedness === "unbounded" && slotOf !== undefined && typeof source.discover === "function";
      /**
       * Sets the watermark: the minimum over the parts neither idle nor done, and so for each output
       * that has its own. The instance is idle while every part not done is (its watermark then the
       * largest of theirs), or, discovering, while it has none.
       */
      const publish = () => {
        let wm = MAX_TIMESTAMP;
        let any = false;
        const outputs: Record<string, number> = {};
        for (const p of states) for (const tag of Object.keys(p.outputMarks ?? {})) outputs[tag] = MAX_TIMESTAMP;
        let live = 0;
        let idleMax = MIN_TIMESTAMP;
        for (const p of states) {
          if (p.done) continue;
          live++;
          if (p.idle) {
            idleMax = Math.max(idleMax, p.mark);
            continue;
          }
          any = true;
          if (p.mark < wm) wm = p.mark;
          for (const tag of Object.keys(outputs)) outputs[tag] = Math.min(outputs[tag], Math.max(p.mark, p.outputMarks?.[tag] ?? MIN_TIMESTAMP));
        }
        if (any) driver.setWatermark(wm, outputs);
        // Every part idle: the largest of their watermarks, as Flink's StatusWatermarkValve.
        else if (live > 0) driver.setWatermark(idleMax);
        driver.setIdle(live > 0 ? !any : discovering);
      };
      /**
       * Reads a part to its end. A transient error (see `isTransientIo`) reads again from the last
       * position delivered, after a backoff, counted as `ioRetries`; other errors, and one that
       * outlasts the retries, fail the run (see `failAfterFinalCheckpoint`). A part whose delivered
       * rows its position does not cover yet is not read again (that would repeat them). What the
       * chunks went to downstream never fails here: a step fails the run itself, and never rejects.
       */
      const readPart = async (p: PartState) => {
        if (p.done) return;
        const delay = faultDelay("part-read");
        if (delay > 0 && !(await driver.read.sleep(delay))) return;
        let progressed = false;
        let uncovered = false;
        const policy = { ...IO_RETRY_POLICY, retryIf: (e: unknown) => !uncovered && IO_RETRY_POLICY.retryIf(e) };
        try {
          await retryAsync(() => readFrom(p, (rows, positioned) => {
            progressed ||= rows || positioned;
            uncovered = positioned ? false : uncovered || rows;
          }), policy, {
            onRetry: () => ctx.count("ioRetries", 1),
            progressed: () => {
              const was = progressed;
              progressed = false;
              return was;
            },
            sleep: (ms) => new Promise((r) => setTimeout(() => r(!driver.read.cancelled), ms)),
          });
        } catch (e) {
          if (driver.read.cancelled) return;
          throw await failAfterFinalCheckpoint(e, p);
        }
        if (driver.read.cancelled) return;
        await driver.step(() => {
          p.mark = MAX_TIMESTAMP;
          p.idle = false;
          p.done = true;
          publish();
        });
      };
      /** Reads part `p` from its position until it ends or the run is cancelled; `delivered` hears of each chunk delivered. */
      const readFrom = async (p: PartState, delivered: (rows: boolean, positioned: boolean) => void) => {
        for await (const chunk of source.read(p.part, p.position, driver.read)) {
          faultPoint("source-read");
          await driver.step(() => {
            if (chunk.batch && chunk.batch.data.numRows > 0) ctx.emit(chunk.tag ?? "main", chunk.batch);
            if (chunk.position !== undefined) p.position = chunk.position;
            if (chunk.watermark !== undefined && chunk.watermark > p.mark) p.mark = chunk.watermark;
            for (const [tag, mark] of Object.entries(chunk.watermarks ?? {})) {
              const marks = (p.outputMarks ??= {});
              if (mark > (marks[tag] ?? MIN_TIMESTAMP)) marks[tag] = mark;
            }
            p.idle = chunk.idle === true;
            publish();
          });
          delivered(chunk.batch !== undefined && chunk.batch.data.numRows > 0, chunk.position !== undefined);
          if (chunk.processingTime !== undefined) await driver.advanceProcessingTime(chunk.processingTime);
          if (driver.read.cancelled) return true;
        }
      };
      /**
       * The error a part's read failed with, once a checkpoint taken after the failure completed (at
       * once in a run without checkpoints): that checkpoint holds what every part read before, so a
       * resumed run reads the failed part again from where it stopped and loses nothing.
       */
      const failAfterFinalCheckpoint = async (e: unknown, p: PartState): Promise<unknown> => {
        const error = readFailure(e, p.part, ctx.transform.uniqueName);
        if (!ctx.options.checkpointed) return error;
        const wait = { barrier: null as number | null, barriers: 0, completed: null as number | null };
        finalCheckpoint = wait;
        // Bounded: a cancelled run stops waiting, and so does a read whose next few checkpoints all failed.
        while (wait.completed === null && wait.barriers <= FINAL_CHECKPOINT_TRIES && (await driver.read.sleep(20)));
        if (wait.completed === null) return error;
        return readFailure(e, p.part, ctx.transform.uniqueName, wait.completed);
      };
      /** Looks for new parts every `discoveryIntervalMs` while the run goes on, and reads those this instance owns. */
      const discover = async () => {
        const known = new Set(states.map((p) => JSON.stringify(p.part)));
        const readers: Promise<void>[] = [];
        while (await driver.read.sleep(source.discoveryIntervalMs ?? 10_000)) {
          let found: PartPosition[];
          try {
            found = await source.discover!();
          } catch {
            ctx.count("discovery_failures", 1);
            continue;
          }
          const fresh = found.filter(({ part }) => !known.has(JSON.stringify(part)) && slotOf!(part) % count === index);
          if (fresh.length === 0) continue;
          await driver.step(() => {
            for (const { part, position } of fresh) {
              known.add(JSON.stringify(part));
              const p = newPart(part, position);
              states.push(p);
              readers.push(readPart(p));
            }
          });
        }
        await Promise.all(readers);
      };
      if (states.length > 0 || discovering) await driver.step(publish);
      await Promise.all([...states.map(readPart), ...(discovering ? [discover()] : [])]);
    },
  };
}

/** How many checkpoints a read that failed for good waits through for one to complete before it fails the run without. */
const FINAL_CHECKPOINT_TRIES = 3;

/**
 * A source's read that failed for good, as a Beamline error naming the transform and the part (a
 * file, a topic's partition) and, when one was taken after the failure, the checkpoint to resume from.
 */
function readFailure(e: unknown, part: JsonValue, transform: string, checkpoint?: number): BeamlineError {
  const resume = checkpoint === undefined ? "" : `; checkpoint ${checkpoint} holds everything read before it, and --resume continues from there`;
  if (e instanceof BeamlineError) {
    if (checkpoint === undefined) return e;
    // The same class (every BeamlineError subclass takes the base's init), with where to resume.
    const Same = e.constructor as typeof BeamlineError;
    return new Same({ code: e.code, domain: e.domain, retriable: e.retriable, where: e.where, value: e.value, rule: e.rule, fix: `${(e.fix ?? "").replace(/\.$/, "")}${resume}`.replace(/^; /, ""), cause: e });
  }
  return new IOError({
    code: "BL_IO_READ_FAILED", domain: "external", retriable: IO_RETRY_POLICY.retryIf(e),
    where: `transform "${transform}"`, value: part,
    rule: `reading ${describePart(part)} failed${IO_RETRY_POLICY.retryIf(e) ? ` ${IO_RETRY_POLICY.attempts} times` : ""}: ${e instanceof Error ? e.message : String(e)}`,
    fix: `check that ${describePart(part)} can be read (the disk, the network, the brokers)${resume}`,
    cause: e,
  });
}

/** A part as a message names it: its file, or its topic and partition, or its JSON. */
function describePart(part: JsonValue): string {
  const p = part as { file?: unknown; topic?: unknown; partition?: unknown } | null;
  if (p && typeof p === "object" && typeof p.file === "string") return `file ${p.file}`;
  if (p && typeof p === "object" && typeof p.topic === "string") return `topic ${p.topic}${p.partition !== undefined ? ` partition ${String(p.partition)}` : ""}`;
  return `part ${JSON.stringify(part)}`;
}

function newPart(part: JsonValue, position: JsonValue | null): PartState {
  return { part, position, mark: MIN_TIMESTAMP, idle: false, done: false };
}

/** Where one part of a source got to: the state a checkpoint keeps of a read. */
interface PartState {
  /** The part's descriptor, from `split`. */
  readonly part: JsonValue;
  /** The position after the last chunk delivered (null: the start). */
  position: JsonValue | null;
  /** The part's watermark, and whether it is idle or done. */
  mark: number;
  /** Watermarks of single outputs above `mark`, by tag (a TestStream with tagged outputs). */
  outputMarks?: Record<string, number>;
  idle: boolean;
  done: boolean;
}

const FILE_SCHEMA = new arrow.Schema([new arrow.Field("file", new arrow.Utf8(), true)]);

/**
 * The write operator drives a two-phase sink through its contract (`sdk/sink.ts`) alone; batches go
 * round-robin over the sink's writers, a batch never split. Without checkpoints, the end of input
 * prepares every writer and commits at once, and a failure aborts what was staged and prepared. With
 * checkpoints, each barrier prepares the writers and the snapshot keeps the committables of every
 * checkpoint not yet committed; a completed checkpoint commits its own and earlier ones; the run's
 * final checkpoint prepares and commits what was written after the last barrier. A restored write
 * recovers: it commits again what its checkpoint kept and aborts what the sink staged after it.
 */
export function writeOperator(ctx: OperatorContext): CommitsAfterFinish {
  const sink = ctx.fn<Sink>();
  const count = sink.numShards ?? 1;
  let writers: SinkWriter[] = [];
  let next = 0;
  /** Committables prepared at barriers, oldest first, until their checkpoint (or a later one) completes. */
  let pending: PreparedAt[] = [];
  /** Committables prepared at the end of a run without checkpoints, until they are committed. */
  let prepared: Committable[] | null = null;
  const publish = (files: string[]) => {
    const data = rowsToRecordBatch(files.map((file) => ({ file })), ctx.schemaOf(ctx.transform.outputs.main) ?? FILE_SCHEMA, ctx.transform.uniqueName);
    if (files.length > 0) ctx.emit("main", globalBatch(data));
  };
  /** Dead letters go out while the batch holding their rows is written: before the barrier that covers them. */
  const emitDeadLetters = (letters: readonly DeadLetter[]) => {
    if (letters.length === 0) return;
    const data = rowsToRecordBatch(letters, deadLetterSchema.arrow, `dead letters of transform "${ctx.transform.uniqueName}"`);
    // Each at its row's event time (late rows stay as late as they were), in the global window.
    ctx.emit(DEAD_LETTER_TAG, { data, timestamps: Float64Array.from(letters, (l) => l.eventTime ?? MIN_TIMESTAMP), windows: GLOBAL_WINDOWS });
  };
  /** Opening writers and committing are idempotent: transient errors are retried, counted as `ioRetries`. */
  const retried = <T>(fn: () => Promise<T>) => retryAsync(fn, IO_RETRY_POLICY, { onRetry: () => ctx.count("ioRetries", 1) });
  /** Publishes committables, retrying transient failures (a commit that threw published nothing); each try reaches the commit's fault point. */
  const commit = (committables: Committable[]) =>
    retried(() => {
      faultPoint("sink-commit");
      return sink.committer.commit(committables);
    });
  const prepareAll = async (checkpointId: number | null): Promise<Committable[]> => {
    const committables: Committable[] = [];
    for (const w of writers) committables.push(...(await w.prepareCommit(checkpointId)));
    next = 0;
    return committables;
  };
  return {
    commitsAfterFinish: true,
    async open() {
      const transform = ctx.transform.uniqueName;
      const run = `${fingerprint(ctx.graph)}/${transform}`;
      const deadLetter = ctx.transform.outputs[DEAD_LETTER_TAG] === undefined ? undefined : emitDeadLetters;
      for (let index = 0; index < count; index++) writers.push(await retried(() => sink.createWriter({ index, count, run, transform, deadLetter })));
    },
    processBatch(_tag, batch) {
      const w = writers[next];
      next = (next + 1) % writers.length;
      return w.write(batch);
    },
    async snapshot(checkpointId) {
      const committables = await prepareAll(checkpointId);
      if (committables.length > 0) pending.push({ checkpointId, committables });
      const item: WriteState = { checkpointId, pending: structuredClone(pending) };
      return { items: [item] };
    },
    async onCommit(checkpointId) {
      while (pending.length > 0 && pending[0].checkpointId <= checkpointId) {
        publish(await commit(pending[0].committables));
        pending.shift();
      }
    },
    async restore(state) {
      const items = (state.items ?? []) as WriteState[];
      const committables = items.flatMap((item) => item.pending.flatMap((p) => p.committables));
      const checkpointId = items.reduce((m, item) => Math.max(m, item.checkpointId), 0);
      await recoverSink(sink, { checkpointId, committables });
      if (state.finished) {
        // Finished when the checkpoint was taken: everything is published, nothing more comes.
        for (const w of writers) await w.abort();
        writers = [];
      }
    },
    async finish() {
      // With checkpoints, the final checkpoint's barrier prepares what is left, and its completion commits.
      if (ctx.options.checkpointed) return;
      prepared = await prepareAll(null);
      const files = await commit(prepared);
      prepared = null;
      publish(files);
    },
    async close(failed) {
      if (!failed) return;
      // What barriers prepared stays for a resumed run to commit or abort (see `restore`).
      for (const w of writers) await w.abort().catch(() => {});
      if (prepared) await sink.committer.abort(prepared);
    },
  };
}

/** What a checkpoint keeps of a write: the committables prepared at its barrier and at earlier ones not yet committed. */
interface WriteState {
  readonly checkpointId: number;
  readonly pending: PreparedAt[];
}

/** The committables prepared at one checkpoint's barrier. */
interface PreparedAt {
  readonly checkpointId: number;
  readonly committables: Committable[];
}
