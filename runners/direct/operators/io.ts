/** Sources and sinks: the read primitive drives a source; the write primitive a two-phase sink. */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../../sdk/batch";
import { fingerprint, type JsonValue } from "../../../sdk/graph";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { recoverSink, type Committable, type Sink, type SinkWriter } from "../../../sdk/sink";
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
  const state = ctx.declareState();
  /** Every part this instance reads, with where it got to: its share of a checkpoint's, or of the source's split. */
  const parts = state.items<PartState>("parts");
  /** For a source that acknowledges what it read: each barrier's part positions, until its checkpoint completes. */
  const atBarrier = new Map<number, PartState[]>();
  const acknowledges = typeof source.readCommitted === "function";
  const readCommitted = async (states: readonly PartState[]) => {
    for (const p of states) await source.readCommitted!(p.part, p.position);
  };
  return {
    ...(acknowledges ? { commitsAfterFinish: true as const } : {}),
    onCheckpoint(id: number) {
      if (acknowledges) atBarrier.set(id, parts.values.map((p) => ({ ...p })));
    },
    async onCommit(id: number) {
      let latest: PartState[] | undefined;
      for (const [k, states] of atBarrier) {
        if (k > id) continue;
        latest = states;
        atBarrier.delete(k);
      }
      if (latest) await readCommitted(latest);
    },
    async close(failed: boolean) {
      if (acknowledges && !failed && !ctx.options.checkpointed) await readCommitted(parts.values);
    },
    simulatedClock: source.simulatedClock === true,
    processBatch() {
      throw new Error(`internal: read transform ${ctx.transform.uniqueName} has no inputs`);
    },
    async run(driver: SourceDriver) {
      if (!state.restored) {
        const { index, count } = ctx.options.instance ?? { index: 0, count: 1 };
        // Split inside a step: a checkpoint taken while a slow split (a bucket listing) is under way
        // would otherwise keep no parts, and a resume from it would read nothing.
        await driver.step(async () => {
          const all = await source.split(count);
          parts.values = all.filter((_, i) => i % count === index).map((part) => ({ part, position: null, mark: MIN_TIMESTAMP, idle: false, done: false }));
        });
      }
      const states = parts.values;
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
  const prepareAll = async (checkpointId: number | null): Promise<Committable[]> => {
    const committables: Committable[] = [];
    for (const w of writers) committables.push(...(await w.prepareCommit(checkpointId)));
    next = 0;
    return committables;
  };
  return {
    commitsAfterFinish: true,
    async open() {
      const run = `${fingerprint(ctx.graph)}/${ctx.transform.uniqueName}`;
      for (let index = 0; index < count; index++) writers.push(await sink.createWriter({ index, count, run }));
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
        faultPoint("sink-commit");
        publish(await sink.committer.commit(pending[0].committables));
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
      const files = await sink.committer.commit(prepared);
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
