/**
 * Runs a ParDo through the shared invoker. With side inputs, a main-input row in window W waits only
 * until every side input is complete for the side window W maps to (its watermark passed that
 * window's end, or it ended); waiting rows hold the output watermark at their earliest timestamp.
 * A ParDo whose DoFn declares state or timers runs in the stateful operator instead.
 */
import { ElementBatch, takeMetadata, windowAt } from "../../../sdk/batch";
import { takeRecordBatch } from "../../../sdk/columns";
import { ParDoInvoker } from "../../../sdk/invoker";
import type { ParDoFn } from "../../../sdk/pardo";
import { isStatefulParDo } from "../../../sdk/payload";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import { sideInputWindow, windowMaxTimestamp, type Window } from "../../../sdk/window";
import type { Operator, OperatorContext } from "../contract/operator";
import { decodeBatch, encodeBatch, WireBatch } from "../data/batch-codec";
import { statefulOperator } from "./stateful";

/** The ParDo operator. */
export function pardoOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  if (isStatefulParDo(t)) return statefulOperator(ctx);
  const outputSchemas: Record<string, ReturnType<OperatorContext["schemaOf"]>> = {};
  for (const [tag, id] of Object.entries(t.outputs)) outputSchemas[tag] = ctx.schemaOf(id);
  const columnar = new Set(Object.entries(t.outputs).filter(([, id]) => ctx.stringsReadAsBytes(id)).map(([tag]) => tag));
  const invoker = new ParDoInvoker(t.uniqueName, ctx.fn<ParDoFn>(), outputSchemas, columnar, () => ctx.processingTime());
  const sides = Object.keys(t.inputs)
    .filter((k) => k.startsWith("side:"))
    .map((tag) => ({ tag, name: tag.slice(5), windowFn: ctx.windowingOf(t.inputs[tag]).windowFn, batches: [] as ElementBatch[], ended: false }));
  /** Main-input rows waiting for side inputs, and the earliest of their timestamps. */
  let waiting: ElementBatch[] = [];
  let hold = MAX_TIMESTAMP;
  let setUp = false;
  const emit = (tag: string, b: ElementBatch) => ctx.emit(tag, b);

  /** Whether every side input is complete for main-input window `w`. */
  const ready = (w: Window): boolean =>
    sides.every((s) => s.ended || ctx.inputWatermark(s.tag) > windowMaxTimestamp(sideInputWindow(s.windowFn, w)));

  /** Processes the ready rows of `batch`; returns the rest (or null). */
  const processReady = (batch: ElementBatch): ElementBatch | null => {
    const n = batch.data.numRows;
    const memo = new Map<string, boolean>();
    const readyRows: number[] = [];
    const rest: number[] = [];
    for (let i = 0; i < n; i++) {
      const w = windowAt(batch.windows, i);
      const id = `${w.start}:${w.end}`;
      let ok = memo.get(id);
      if (ok === undefined) memo.set(id, (ok = ready(w)));
      (ok ? readyRows : rest).push(i);
    }
    if (rest.length === 0) {
      invoker.processBatch(batch, emit);
      return null;
    }
    if (readyRows.length > 0) invoker.processBatch(subset(batch, readyRows), emit);
    return readyRows.length === 0 ? batch : subset(batch, rest);
  };

  /** Releases the waiting rows whose side inputs became complete. */
  const release = () => {
    if (waiting.length === 0) return;
    const still: ElementBatch[] = [];
    for (const b of waiting) {
      const r = processReady(b);
      if (r) still.push(r);
    }
    waiting = still;
    hold = MAX_TIMESTAMP;
    for (const b of waiting) for (const ts of b.timestamps) if (ts < hold) hold = ts;
  };

  return {
    async open() {
      for (const s of sides) invoker.setSideInput(s.name, { windowFn: s.windowFn, batches: s.batches });
      await invoker.setup();
      setUp = true;
    },
    processBatch(tag, batch) {
      if (sides.length === 0) {
        invoker.processBatch(batch, emit);
        return;
      }
      if (tag.startsWith("side:")) {
        const s = sides.find((x) => x.tag === tag)!;
        s.batches.push(batch);
        invoker.setSideInput(s.name, { windowFn: s.windowFn, batches: s.batches });
        release();
        return;
      }
      release();
      const rest = processReady(batch);
      if (rest) {
        waiting.push(rest);
        for (const ts of rest.timestamps) if (ts < hold) hold = ts;
      }
    },
    onWatermark() {
      release();
    },
    endOfInput(tag) {
      const s = sides.find((x) => x.tag === tag);
      if (!s) return;
      s.ended = true;
      release();
    },
    watermarkHold() {
      return hold;
    },
    finish() {
      release();
    },
    snapshot() {
      if (sides.length === 0) return {};
      const copy = (b: ElementBatch) => encodeBatch(b, false).message;
      return { items: waiting.map(copy), common: sides.map((s) => ({ tag: s.tag, ended: s.ended, batches: s.batches.map(copy) })) };
    },
    restore(state) {
      if (sides.length === 0) return;
      for (const c of (state.common ?? []) as { tag: string; ended: boolean; batches: WireBatch[] }[]) {
        const s = sides.find((x) => x.tag === c.tag);
        if (!s) continue;
        s.ended = c.ended;
        s.batches.push(...c.batches.map(decodeBatch));
        invoker.setSideInput(s.name, { windowFn: s.windowFn, batches: s.batches });
      }
      waiting = ((state.items ?? []) as WireBatch[]).map(decodeBatch);
      hold = MAX_TIMESTAMP;
      for (const b of waiting) for (const ts of b.timestamps) if (ts < hold) hold = ts;
    },
    async close() {
      if (setUp) await invoker.teardown();
    },
  };
}

function subset(batch: ElementBatch, rows: number[]): ElementBatch {
  const idx = Int32Array.from(rows);
  return { data: takeRecordBatch(batch.data, idx), ...takeMetadata(batch, idx) };
}
