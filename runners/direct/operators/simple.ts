/** Operators without state: flatten, reshuffle and window assignment. */
import { ElementBatch, takeMetadata } from "../../../sdk/batch";
import { takeRecordBatch } from "../../../sdk/columns";
import type { WindowingStrategy } from "../../../sdk/window";
import { assignWindows } from "../../../sdk/window";
import type { Operator, OperatorContext } from "../operator";

/** Flatten: every input batch goes to the output. */
export function flattenOperator(ctx: OperatorContext): Operator {
  return { processBatch: (_tag, batch) => ctx.emit("main", batch) };
}

/** Reshuffle: a redistribution point; within one thread it passes batches on unchanged. */
export function reshuffleOperator(ctx: OperatorContext): Operator {
  return { processBatch: (_tag, batch) => ctx.emit("main", batch) };
}

/** Window assignment: gives each row its window(s) under the output's window function. */
export function windowIntoOperator(ctx: OperatorContext): Operator {
  const strategy: WindowingStrategy = ctx.windowingOf(ctx.transform.outputs.main);
  return {
    processBatch(_tag, batch: ElementBatch) {
      const a = assignWindows(strategy.windowFn, batch.timestamps);
      if (!a) {
        ctx.emit("main", { data: batch.data, timestamps: batch.timestamps, windows: { kind: "global" } });
        return;
      }
      const identity = a.source.length === batch.data.numRows && a.source.every((s, i) => s === i);
      const data = identity ? batch.data : takeRecordBatch(batch.data, a.source);
      const timestamps = identity ? batch.timestamps : takeMetadata(batch, a.source).timestamps;
      ctx.emit("main", { data, timestamps, windows: { kind: "interval", start: a.start, end: a.end } });
    },
  };
}
