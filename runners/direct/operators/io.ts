/** Sources and sinks: the read primitive drives a source; the write primitive a two-phase Sink. */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import { rowsToRecordBatch } from "../../../sdk/rows";
import type { Sink, SinkWriter } from "../../../sdk/sink";
import type { BoundedSource } from "../../../sdk/source";
import type { SourceDriver, SourceOperator } from "../executor";
import type { Operator, OperatorContext } from "../operator";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";

/**
 * The read operator. Every part of the source reads concurrently; each chunk goes downstream in one
 * step, and the operator's watermark is the minimum over the parts that are neither done nor idle.
 */
export function readOperator(ctx: OperatorContext): SourceOperator {
  const source = ctx.fn<BoundedSource>();
  return {
    simulatedClock: source.simulatedClock === true,
    processBatch() {
      throw new Error(`internal: read transform ${ctx.transform.uniqueName} has no inputs`);
    },
    async run(driver: SourceDriver) {
      const { index, count } = ctx.options.instance ?? { index: 0, count: 1 };
      const parts = (await source.split(count)).filter((_, i) => i % count === index);
      const marks = parts.map(() => MIN_TIMESTAMP);
      const idle = parts.map(() => false);
      const watermark = () => {
        let wm = MAX_TIMESTAMP;
        let any = false;
        for (let i = 0; i < marks.length; i++) {
          if (idle[i]) continue;
          any = true;
          if (marks[i] < wm) wm = marks[i];
        }
        return any ? wm : null;
      };
      await Promise.all(
        parts.map(async (part, i) => {
          for await (const chunk of source.read(part, null, driver.read)) {
            await driver.step(() => {
              if (chunk.batch && chunk.batch.data.numRows > 0) ctx.emit(chunk.tag ?? "main", chunk.batch);
              if (chunk.watermark !== undefined && chunk.watermark > marks[i]) marks[i] = chunk.watermark;
              idle[i] = chunk.idle === true;
              const wm = watermark();
              if (wm !== null) driver.setWatermark(wm);
            });
            if (chunk.processingTime !== undefined) await driver.advanceProcessingTime(chunk.processingTime);
            if (driver.read.cancelled) return;
          }
          await driver.step(() => {
            marks[i] = MAX_TIMESTAMP;
            idle[i] = false;
            const wm = watermark();
            if (wm !== null) driver.setWatermark(wm);
          });
        }),
      );
    },
  };
}

const FILE_SCHEMA = new arrow.Schema([new arrow.Field("file", new arrow.Utf8(), true)]);

/** The write operator: stages while data flows, commits when its input ends, aborts on failure. */
export function writeOperator(ctx: OperatorContext): Operator {
  const sink = ctx.fn<Sink>();
  const count = sink.numShards ?? 1;
  const writers: SinkWriter[] = [];
  let staged: JsonValue[] | null = null;
  let committed = false;
  let next = 0;
  return {
    async open() {
      for (let i = 0; i < count; i++) writers.push(await sink.open({ index: i, count }));
    },
    async processBatch(_tag, batch) {
      // Round-robin batches over shards; a batch is never split.
      const w = writers[next];
      next = (next + 1) % writers.length;
      await w.write(batch);
    },
    async finish() {
      staged = [];
      for (const w of writers) staged.push(await w.close());
      const files = await sink.commit(staged);
      committed = true;
      const data = rowsToRecordBatch(files.map((file) => ({ file })), ctx.schemaOf(ctx.transform.outputs.main) ?? FILE_SCHEMA, ctx.transform.uniqueName);
      if (files.length > 0) ctx.emit("main", globalBatch(data));
    },
    async close(failed) {
      if (!failed || committed) return;
      if (staged) await sink.abort(staged);
      else for (const w of writers) await w.abort().catch(() => {});
    },
  };
}
