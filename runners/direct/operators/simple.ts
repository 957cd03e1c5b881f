/** Operators without state: flatten, reshuffle and window assignment. */
import { ElementBatch, takeMetadata } from "../../../sdk/batch";
import { takeRecordBatch } from "../../../sdk/columns";
import type { CustomAssign, WindowingStrategy } from "../../../sdk/window";
import { UserCodeError, wrapUserError } from "../../../sdk/errors";
import { assignWindows } from "../../../sdk/window";
import type { Operator, OperatorContext } from "../contract/operator";

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
  const custom = strategy.windowFn.kind === "custom" ? ctx.fn<CustomAssign>() : null;
  return {
    processBatch(_tag, batch: ElementBatch) {
      const a = custom ? assignCustom(custom, batch.timestamps, ctx.transform.uniqueName) : assignWindows(strategy.windowFn, batch.timestamps);
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

/** Runs a custom window function over a timestamp column, checking each window it returns. */
function assignCustom(assign: CustomAssign, timestamps: Float64Array, where: string) {
  const source: number[] = [];
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    const ts = timestamps[i];
    let windows: readonly { start: number; end: number }[];
    try {
      windows = assign(ts);
    } catch (e) {
      throw wrapUserError(e, where, ts);
    }
    for (const w of windows) {
      if (!(w.start <= ts && ts < w.end)) {
        throw new UserCodeError({
          code: "BL_BAD_CUSTOM_WINDOW",
          where,
          value: { timestamp: ts, window: w },
          rule: "a custom window function must return windows [start, end) that contain the element's timestamp",
          fix: "return windows with start <= timestamp < end",
        });
      }
      source.push(i);
      start.push(w.start);
      end.push(w.end);
    }
  }
  return { source: Int32Array.from(source), start: Float64Array.from(start), end: Float64Array.from(end) };
}

/** Separates rows whose window expired (end plus allowed lateness behind the input watermark) to `late`. */
export function separateLateOperator(ctx: OperatorContext): Operator {
  const lateness = ctx.windowingOf(ctx.transform.inputs.main).allowedLateness;
  return {
    processBatch(_tag, batch: ElementBatch) {
      const wm = ctx.inputWatermark();
      if (batch.windows.kind === "global") {
        ctx.emit("main", batch);
        return;
      }
      const end = batch.windows.end;
      const n = batch.data.numRows;
      let late = 0;
      for (let i = 0; i < n; i++) if (end[i] - 1 + lateness < wm) late++;
      if (late === 0) {
        ctx.emit("main", batch);
        return;
      }
      ctx.count("lateRows", late);
      const keep = new Int32Array(n - late);
      const gone = new Int32Array(late);
      for (let i = 0, k = 0, g = 0; i < n; i++) {
        if (end[i] - 1 + lateness < wm) gone[g++] = i;
        else keep[k++] = i;
      }
      if (keep.length > 0) ctx.emit("main", { data: takeRecordBatch(batch.data, keep), ...takeMetadata(batch, keep) });
      ctx.emit("late", { data: takeRecordBatch(batch.data, gone), ...takeMetadata(batch, gone) });
    },
  };
}
