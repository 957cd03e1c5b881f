/** Sources and sinks: the read primitive drives a source; the write primitive a two-phase Sink. */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import { rowsToRecordBatch } from "../../../sdk/rows";
import type { Sink, SinkWriter } from "../../../sdk/sink";
import type { BoundedSource } from "../../../sdk/source";
import type { CommitsAfterFinish, SourceDriver, SourceOperator } from "../contract/operator";
import { faultPoint } from "../faults/fault-points";
import type { Operator, OperatorContext } from "../contract/operator";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";

/**
 * The read operator. Every part of the source reads concurrently; each chunk goes downstream in one
 * step, and the operator's watermark is the minimum over the parts that are neither done nor idle.
 */
export function readOperator(ctx: OperatorContext): SourceOperator {
  const source = ctx.fn<BoundedSource>();
  /** Every part this instance reads, with where it got to; set by `run` or by `restore`. */
  let parts: PartState[] | null = null;
  return {
    simulatedClock: source.simulatedClock === true,
    processBatch() {
      throw new Error(`internal: read transform ${ctx.transform.uniqueName} has no inputs`);
    },
    snapshot() {
      return { items: (parts ?? []).map((p) => structuredClone(p)) };
    },
    restore(state) {
      parts = (state.items ?? []).map((p) => structuredClone(p) as PartState);
    },
    async run(driver: SourceDriver) {
      if (!parts) {
        const { index, count } = ctx.options.instance ?? { index: 0, count: 1 };
        const all = await source.split(count);
        parts = all.filter((_, i) => i % count === index).map((part) => ({ part, position: null, mark: MIN_TIMESTAMP, idle: false, done: false }));
      }
      const states = parts;
      /** Sets the watermark: the minimum over the parts that are not idle, and so for each output that has its own. */
      const publish = () => {
        let wm = MAX_TIMESTAMP;
        let any = false;
        const outputs: Record<string, number> = {};
        for (const p of states) for (const tag of Object.keys(p.outputMarks ?? {})) outputs[tag] = MAX_TIMESTAMP;
        for (const p of states) {
          if (p.idle) continue;
          any = true;
          if (p.mark < wm) wm = p.mark;
          for (const tag of Object.keys(outputs)) outputs[tag] = Math.min(outputs[tag], Math.max(p.mark, p.outputMarks?.[tag] ?? MIN_TIMESTAMP));
        }
        if (any) driver.setWatermark(wm, outputs);
      };
      if (states.length > 0) await driver.step(publish);
      await Promise.all(
        states.map(async (p) => {
          if (p.done) return;
          for await (const chunk of source.read(p.part, p.position, driver.read)) {
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
            if (chunk.processingTime !== undefined) await driver.advanceProcessingTime(chunk.processingTime);
            if (driver.read.cancelled) return;
          }
          await driver.step(() => {
            p.mark = MAX_TIMESTAMP;
            p.idle = false;
            p.done = true;
            publish();
          });
        }),
      );
    },
  };
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
 * The write operator: stages while data flows and commits when its input ends, or aborts on failure.
 * With checkpoints, what was written before a checkpoint's barrier is staged by its snapshot (the
 * writers close and the next epoch of shards opens) and committed when that checkpoint completes; a
 * restored write commits again what its checkpoint staged (commits are idempotent). In a checkpointed
 * run, the end of input stages the last epoch too, and the run's final checkpoint commits it: a run
 * killed at any point, resumed, publishes every epoch once.
 */
export function writeOperator(ctx: OperatorContext): CommitsAfterFinish {
  const sink = ctx.fn<Sink>();
  const count = sink.numShards ?? 1;
  let writers: SinkWriter[] = [];
  /** Staged output of earlier epochs, waiting for its checkpoint to complete. */
  let pending: StagedEpoch[] = [];
  /** Of `pending`, what the latest snapshot covered, by checkpoint. */
  const covered = new Map<number, StagedEpoch[]>();
  let snapshots = 0;
  let staged: JsonValue[] | null = null;
  let committed = false;
  let epoch = 0;
  let written = false;
  let next = 0;
  const openWriters = async () => {
    writers = [];
    for (let i = 0; i < count; i++) writers.push(await sink.open({ index: i, count, epoch }));
  };
  const publish = (files: string[]) => {
    const data = rowsToRecordBatch(files.map((file) => ({ file })), ctx.schemaOf(ctx.transform.outputs.main) ?? FILE_SCHEMA, ctx.transform.uniqueName);
    if (files.length > 0) ctx.emit("main", globalBatch(data));
  };
  /** Closes the writers of the current epoch and keeps what they staged for a checkpoint to commit. */
  const stage = async () => {
    const closed: JsonValue[] = [];
    for (const w of writers) closed.push(await w.close());
    pending.push({ epoch, staged: closed });
    epoch++;
    written = false;
    next = 0;
  };
  return {
    commitsAfterFinish: true,
    async open() {
      await openWriters();
    },
    async processBatch(_tag, batch) {
      // Round-robin batches over shards; a batch is never split.
      const w = writers[next];
      next = (next + 1) % writers.length;
      written = true;
      await w.write(batch);
    },
    async snapshot() {
      if (written) {
        await stage();
        if (!committed) await openWriters();
      }
      covered.set(++snapshots, [...pending]);
      const item: WriteState = { nextEpoch: epoch, pending: structuredClone(pending) };
      return { items: [item] };
    },
    async onCheckpointComplete() {
      const due = covered.get(snapshots) ?? [];
      covered.clear();
      for (const e of due) {
        faultPoint("sink-commit");
        publish(await sink.commit(e.staged));
      }
      pending = pending.filter((e) => !due.includes(e));
    },
    async restore(state) {
      // The checkpoint completed: publish what it staged (again, if it was published before).
      let nextEpoch = epoch;
      for (const item of (state.items ?? []) as WriteState[]) {
        for (const e of item.pending) await sink.commit(e.staged);
        nextEpoch = Math.max(nextEpoch, item.nextEpoch);
      }
      if (state.finished) {
        // Restored finished: everything is published, no more epochs.
        for (const w of writers) await w.abort();
        writers = [];
        committed = true;
        return;
      }
      if (nextEpoch > epoch) {
        for (const w of writers) await w.abort();
        epoch = nextEpoch;
        await openWriters();
      }
    },
    async finish() {
      if (ctx.options.checkpointed) {
        // The final checkpoint commits the last epoch with the others still pending.
        if (written) await stage();
        else for (const w of writers) await w.abort();
        writers = [];
        committed = true;
        return;
      }
      if (!written && epoch > 0) {
        // Everything was committed with a checkpoint: no empty shards for the last epoch.
        for (const w of writers) await w.abort();
        committed = true;
        return;
      }
      staged = [];
      for (const w of writers) staged.push(await w.close());
      const files = await sink.commit(staged);
      committed = true;
      publish(files);
    },
    async close(failed) {
      if (!failed || committed) return;
      if (staged) await sink.abort(staged);
      else for (const w of writers) await w.abort().catch(() => {});
    },
  };
}

/** What a checkpoint keeps of a write: staged output to commit, and the epoch to write next. */
interface WriteState {
  readonly nextEpoch: number;
  readonly pending: StagedEpoch[];
}

/** Output staged by the writers of one epoch (between two checkpoints). */
interface StagedEpoch {
  readonly epoch: number;
  readonly staged: JsonValue[];
}
