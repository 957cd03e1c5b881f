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
import type { StateCodec } from "../contract/declared-state";
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
  const invoker = new ParDoInvoker(t.uniqueName, ctx.fn<ParDoFn>(), outputSchemas, columnar, () => ctx.processingTime(), (c, n) => ctx.count(c, n));
  const sides = Object.keys(t.inputs)
    .filter((k) => k.startsWith("side:"))
    .map((tag) => ({ tag, name: tag.slice(5), windowFn: ctx.windowingOf(t.inputs[tag]).windowFn }));
  // Only a ParDo with side inputs keeps state: what its side inputs brought, and the rows waiting for them.
  const state = sides.length > 0 ? ctx.declareState() : null;
  const sideData = state?.common<Record<string, SideData>>("sides", Object.fromEntries(sides.map((s) => [s.tag, { ended: false, batches: [] }])), SIDES_CODEC);
  const data = (tag: string): SideData => sideData!.value[tag];
  /** Main-input rows waiting for side inputs, and the earliest of their timestamps. */
  const waiting = state?.items<ElementBatch>("waiting", BATCH_CODEC) ?? { values: [] };
  let hold = MAX_TIMESTAMP;
  let setUp = false;
  const emit = (tag: string, b: ElementBatch) => ctx.emit(tag, b);

  /** Whether every side input is complete for main-input window `w`. */
  const ready = (w: Window): boolean =>
    sides.every((s) => data(s.tag).ended || ctx.inputWatermark(s.tag) > windowMaxTimestamp(sideInputWindow(s.windowFn, w)));

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
    if (waiting.values.length === 0) return;
    const still: ElementBatch[] = [];
    for (const b of waiting.values) {
      const r = processReady(b);
      if (r) still.push(r);
    }
    waiting.values = still;
    hold = earliest(still);
  };

  return {
    async open() {
      // Side inputs and waiting rows are there already when restored from a checkpoint.
      for (const s of sides) invoker.setSideInput(s.name, { windowFn: s.windowFn, batches: data(s.tag).batches });
      hold = earliest(waiting.values);
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
        const d = data(tag);
        d.batches.push(batch);
        invoker.setSideInput(s.name, { windowFn: s.windowFn, batches: d.batches });
        release();
        return;
      }
      release();
      const rest = processReady(batch);
      if (rest) {
        waiting.values.push(rest);
        for (const ts of rest.timestamps) if (ts < hold) hold = ts;
      }
    },
    onWatermark() {
      release();
    },
    endOfInput(tag) {
      if (!sides.some((x) => x.tag === tag)) return;
      data(tag).ended = true;
      release();
    },
    watermarkHold() {
      return hold;
    },
    finish() {
      release();
      invoker.finish();
    },
    async close() {
      if (setUp) await invoker.teardown();
    },
  };
}

/** What one side input brought so far, and whether it ended. */
interface SideData {
  ended: boolean;
  readonly batches: ElementBatch[];
}

/** Batches go into snapshots in Arrow IPC form. */
const BATCH_CODEC: StateCodec<ElementBatch> = { encode: (b) => encodeBatch(b, false).message, decode: (w) => decodeBatch(w as WireBatch) };

/** Side inputs go into snapshots with their batches in Arrow IPC form. */
const SIDES_CODEC: StateCodec<Record<string, SideData>> = {
  encode: (sides) => Object.fromEntries(Object.entries(sides).map(([tag, d]) => [tag, { ended: d.ended, batches: d.batches.map(BATCH_CODEC.encode) }])),
  decode: (wire) =>
    Object.fromEntries(Object.entries(wire as Record<string, { ended: boolean; batches: unknown[] }>).map(([tag, d]) => [tag, { ended: d.ended, batches: d.batches.map(BATCH_CODEC.decode) }])),
};

/** The earliest timestamp of the rows of `batches` (`MAX_TIMESTAMP` when none). */
function earliest(batches: readonly ElementBatch[]): number {
  let min = MAX_TIMESTAMP;
  for (const b of batches) for (const ts of b.timestamps) if (ts < min) min = ts;
  return min;
}

function subset(batch: ElementBatch, rows: number[]): ElementBatch {
  const idx = Int32Array.from(rows);
  return { data: takeRecordBatch(batch.data, idx), ...takeMetadata(batch, idx) };
}
