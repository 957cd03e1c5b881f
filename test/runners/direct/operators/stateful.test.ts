import * as arrow from "apache-arrow";
import {
  afterProcessingTime, afterWatermark, assertThat, combinePerKey, create, type DoFn, type ElementBatch, fixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, intervalWindow, type KV, MAX_TIMESTAMP,
  MIN_TIMESTAMP, parDo, type PCollection, Pipeline, recordBatchToRows, rowsToRecordBatch, runPipeline, sideInput, state, type StateSpecs, sum,
  testStream, timer, type TimerSpecs, timestamped, UserCodeError, windowInto, withTimestamps,
} from "beamline";
import { windowMaxTimestamp } from "../../../../sdk/window";
import type { Operator, OperatorContext, StateBackendKind } from "../../../../runners/direct/contract/operator";
import { pardoOperator } from "../../../../runners/direct/operators/pardo";
import { DeclaredState } from "../../../../runners/direct/execution/declared-state";
import type { StatefulOperator } from "../../../../runners/direct/operators/stateful";
import { plan } from "../../../../runners/direct/plan/planner";
import { defaultOperators } from "../../../../runners/direct/operators/registry";
import { relativeFiringTime } from "../../../../runners/runtime/stateful/timers";

type Ev = { k: string; v: number; t: number };

/** Keyed rows with event timestamps, optionally in fixed windows. */
function keyed(p: Pipeline, rows: Ev[], windowSize?: number): PCollection<KV<string, number>> {
  let pc = p.apply(create(rows)).apply(withTimestamps("t"));
  if (windowSize) pc = pc.apply(windowInto(fixedWindows(windowSize)));
  return pc.map((r) => ({ key: r.k, value: r.v }));
}

// ---------------------------------------------------------------------------------------------
// A harness that drives one operator through the operator contract, step by step.

interface Harness {
  op: Operator;
  out: { tag: string; row: unknown; ts: number; window: string }[];
  wakeups: number[];
  counters: Map<string, number>;
  watermarks: Map<string, number>;
  now: number;
  send(tag: string, rows: unknown[], timestamps: number[], window?: [number, number]): Promise<void>;
  watermark(wm: number, tag?: string): Promise<void>;
  advanceClock(to: number): Promise<void>;
}

/** Operators the harness made, closed after each test (the disk backend removes its files then). */
const opened: Operator[] = [];
afterEach(async () => {
  for (const op of opened.splice(0)) await op.close?.(false);
});

function harness(p: Pipeline, transformName: string, stateBackend: StateBackendKind = "memory"): Harness {
  const graph = p.graph();
  const transform = graph.transforms[transformName];
  const h = {
    out: [],
    wakeups: [],
    counters: new Map(),
    watermarks: new Map(Object.keys(transform.inputs).map((t) => [t, MIN_TIMESTAMP])),
    now: 0,
  } as unknown as Harness;
  const ctx: OperatorContext = {
    transform,
    graph,
    options: { batchSize: 1024, stateBackend },
    emit: (tag: string, b: ElementBatch) => {
      const rows = recordBatchToRows(b.data);
      rows.forEach((row, i) => {
        const window = b.windows.kind === "global" ? "global" : `${b.windows.start[i]}-${b.windows.end[i]}`;
        h.out.push({ tag, row, ts: b.timestamps[i], window });
      });
    },
    fn: <T>() => p.fn(transformName) as T,
    schemaOf: () => null,
    windowingOf: (id: string) => graph.windowingStrategies[graph.pcollections[id].windowing],
    stringsReadAsBytes: () => false,
    inputWatermark: (tag?: string) => (tag ? h.watermarks.get(tag)! : Math.min(...h.watermarks.values())),
    processingTime: () => h.now,
    wakeAt: (at: number) => void h.wakeups.push(at),
    count: (name: string, n: number) => void h.counters.set(name, (h.counters.get(name) ?? 0) + n),
    declareState: () => new DeclaredState(transformName),
  };
  h.op = pardoOperator(ctx);
  opened.push(h.op);
  h.send = async (tag, rows, timestamps, window) => {
    const data = rowsToRecordBatch(rows, inferKvSchema(rows), "test");
    const n = rows.length;
    const windows: ElementBatch["windows"] = window
      ? { kind: "interval", start: new Float64Array(n).fill(window[0]), end: new Float64Array(n).fill(window[1]) }
      : { kind: "global" };
    await h.op.processBatch(tag, { data, timestamps: Float64Array.from(timestamps), windows });
  };
  h.watermark = async (wm, tag) => {
    for (const t of tag ? [tag] : [...h.watermarks.keys()]) h.watermarks.set(t, wm);
    await h.op.onWatermark?.(Math.min(...h.watermarks.values()));
  };
  h.advanceClock = async (to) => {
    h.now = to;
    const due = h.wakeups.filter((w) => w <= to).sort((a, b) => a - b);
    h.wakeups = h.wakeups.filter((w) => w > to);
    if (due.length > 0) await h.op.onProcessingTime?.(to);
  };
  return h;
}

function inferKvSchema(rows: unknown[]): arrow.Schema {
  const first = rows[0] as Record<string, unknown>;
  return new arrow.Schema(
    Object.keys(first).map((k) => new arrow.Field(k, typeof first[k] === "number" ? new arrow.Float64() : new arrow.Utf8(), true)),
  );
}

const rowsOf = (h: Harness) => h.out.map((o) => o.row);

// ---------------------------------------------------------------------------------------------

// Every case runs on both state backends: the disk backend must give what memory gives.
describe.each(["memory", "disk"] as const)("with the %s state backend", (stateBackend) => {
  describe("stateful DoFns end to end", () => {
    test("per key and window: a count in value state, emitted by an event-time timer at the end of the window", async () => {
      const p = new Pipeline();
      const counts = keyed(p, [
        { k: "a", v: 1, t: 1_000 }, { k: "a", v: 1, t: 2_000 }, { k: "b", v: 1, t: 3_000 },
        { k: "a", v: 1, t: 12_000 }, { k: "b", v: 1, t: 19_999 }, { k: "b", v: 1, t: 15_000 },
      ], 10_000).apply(
        "CountAtEnd",
        parDo({
          state: { n: state.value<number>() },
          timers: { end: timer.eventTime() },
          process(_row: KV<string, number>, ctx) {
            ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
            ctx.timers.end.set(windowMaxTimestamp(ctx.window));
          },
          onTimer(_name, ctx) {
            ctx.output({ key: ctx.key, n: ctx.state.n.read() ?? 0, at: ctx.timestamp });
          },
        }),
      );
      assertThat(counts).inOnTimePane(intervalWindow(0, 10_000)).containsInAnyOrder([{ key: "a", n: 2, at: 9_999 }, { key: "b", n: 1, at: 9_999 }]);
      assertThat(counts).inWindow(intervalWindow(10_000, 20_000)).containsInAnyOrder([{ key: "a", n: 1, at: 19_999 }, { key: "b", n: 2, at: 19_999 }]);
      await runPipeline(p, { stateBackend });
    });

    test("rows a stateful DoFn emits while processing keep their pane, the non-speculative index included", async () => {
      // An early pane, then the on-time pane (index 1, non-speculative index 0), through a stateful DoFn.
      const p = new Pipeline();
      const sums = p
        .apply(testStream<KV<string, number>>()
          .advanceWatermarkTo(0)
          .addElements(timestamped({ key: "a", value: 1 }, 1_000))
          .advanceProcessingTime("10m")
          .addElements(timestamped({ key: "a", value: 2 }, 2_000))
          .advanceWatermarkToInfinity())
        .apply(windowInto(fixedWindows("1h"), { trigger: afterWatermark({ early: afterProcessingTime("5m") }), accumulation: "accumulating" }))
        .apply(combinePerKey(sum()));
      const passed = sums.apply("PassOn", parDo({
        state: { seen: state.value<number>() },
        process(row: KV<string, number>, ctx) {
          ctx.state.seen.write((ctx.state.seen.read() ?? 0) + 1);
          ctx.output(row);
        },
      }));
      assertThat(passed).satisfies((_rows, elements) => {
        const panes = elements.map((e) => [e.value, e.pane.timing, e.pane.index, e.pane.nonSpeculativeIndex]);
        expect(panes).toEqual([[{ key: "a", value: 1 }, "early", 0, -1], [{ key: "a", value: 3 }, "on_time", 1, 0]]);
      }, "early then on-time panes");
      await runPipeline(p, { stateBackend });
    });

    test("timers fire in timestamp order, including timers set while firing that are already due", async () => {
      const p = new Pipeline();
      const fired = keyed(p, [{ k: "a", v: 3, t: 100 }, { k: "b", v: 2, t: 150 }]).apply(
        "Countdown",
        parDo({
          state: { left: state.value<number>() },
          timers: { tick: timer.eventTime() },
          process(row: KV<string, number>, ctx) {
            ctx.state.left.write(row.value);
            ctx.timers.tick.set(ctx.timestamp + 10);
          },
          onTimer(_name, ctx) {
            const left = (ctx.state.left.read() ?? 0) - 1;
            ctx.state.left.write(left);
            ctx.output({ key: ctx.key, at: ctx.timestamp });
            if (left > 0) ctx.timers.tick.set(ctx.timestamp + 30);
          },
        }),
      );
      // a fires at 110, 140, 170; b at 160, 190: in timestamp order across keys.
      const order: string[] = [];
      assertThat(fired).satisfies((rows) => {
        order.push(...(rows as { key: string; at: number }[]).map((r) => `${r.key}@${r.at}`));
        return true;
      });
      await runPipeline(p, { stateBackend });
      expect(order).toEqual(["a@110", "a@140", "b@160", "a@170", "b@190"]);
    });

    test("bag, set, map, combining and ordered-list state in one DoFn, flushed at window expiry", async () => {
      const p = new Pipeline();
      const rows: Ev[] = [
        { k: "x", v: 5, t: 50 }, { k: "x", v: 1, t: 10 }, { k: "x", v: 5, t: 30 }, { k: "x", v: 3, t: 20 }, { k: "y", v: 7, t: 5 },
      ];
      const out = keyed(p, rows, 100).apply(
        "Everything",
        parDo({
          state: {
            bag: state.bag<number>(),
            distinct: state.set<number>(),
            byValue: state.map<number, number>(),
            total: state.combining<number, number, number>({
              createAccumulator: () => 0,
              addInput: (a, x) => a + x,
              mergeAccumulators: (xs) => xs.reduce((a, b) => a + b, 0),
              extractOutput: (a) => a,
            }),
            sorted: state.orderedList<number>(),
          },
          process(row: KV<string, number>, ctx) {
            ctx.state.bag.add(row.value);
            ctx.state.distinct.add(row.value);
            ctx.state.byValue.put(row.value, (ctx.state.byValue.get(row.value) ?? 0) + 1);
            ctx.state.total.add(row.value);
            ctx.state.sorted.add(ctx.timestamp, row.value);
          },
          onWindowExpiration(ctx) {
            ctx.output({
              key: ctx.key,
              bag: ctx.state.bag.read().length,
              distinct: [...ctx.state.distinct.read()].sort((a, b) => a - b),
              fives: ctx.state.byValue.get(5) ?? 0,
              total: ctx.state.total.read(),
              sorted: ctx.state.sorted.read().map((e) => e.value),
              early: ctx.state.sorted.readRange(0, 25).map((e) => e.value),
            });
          },
        }),
      );
      assertThat(out).inWindow(intervalWindow(0, 100)).containsInAnyOrder([
        { key: "x", bag: 4, distinct: [1, 3, 5], fives: 2, total: 14, sorted: [1, 3, 5, 5], early: [1, 3] },
        { key: "y", bag: 1, distinct: [7], fives: 0, total: 7, sorted: [7], early: [7] },
      ]);
      await runPipeline(p, { stateBackend });
    });

    test("a stateful ParDo is planned behind a hash exchange on the key", () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply("S", parDo({ state: { n: state.value<number>() }, process() {} }));
      const planned = plan(p.graph(), defaultOperators());
      const stage = planned.stages.find((s) => s.nodes.includes("S"))!;
      expect(stage.nodes[0]).toBe("S");
      expect(stage.inputs.map((i) => i.exchange)).toEqual(["hash"]);
    });

    test("a timer set after its window expires fails the run with a clear error", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 1_000 }], 10_000).apply(
        "TooLate",
        parDo({
          timers: { t: timer.eventTime() },
          process(_row: KV<string, number>, ctx) {
            ctx.timers.t.set(60_000);
          },
          onTimer() {},
        }),
      );
      await expect(runPipeline(p, { stateBackend })).rejects.toThrow(UserCodeError);
      await expect(runPipeline(p, { stateBackend })).rejects.toThrow(/timer "t".*must fire before its window expires/);
    });
  });

  // ---------------------------------------------------------------------------------------------

  /** A DoFn that buffers values and flushes them on a processing-time timer 100 ms after the first. */
  function bufferingFn(): DoFn<KV<string, number>, unknown, StateSpecs & { buf: ReturnType<typeof state.bag<number>> }, TimerSpecs & { flush: ReturnType<typeof timer.processingTime> }> {
    return {
      state: { buf: state.bag<number>() },
      timers: { flush: timer.processingTime() },
      process(row, ctx) {
        if (ctx.state.buf.isEmpty()) ctx.timers.flush.set(row.value + 100);
        ctx.state.buf.add(row.value);
      },
      onTimer(_name, ctx) {
        ctx.output({ key: ctx.key, values: ctx.state.buf.read(), ts: ctx.outputTimestamp });
        ctx.state.buf.clear();
      },
    };
  }

  describe("the stateful operator, step by step", () => {
    test("processing-time timers: wake-ups, firing when the clock reaches them, holding the watermark", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply("Buffer", parDo(bufferingFn()));
      const h = harness(p, "Buffer", stateBackend);
      await h.send("main", [{ key: "a", value: 0 }, { key: "a", value: 5 }, { key: "b", value: 50 }], [1_000, 1_200, 1_500]);
      expect(h.wakeups.sort((a, b) => a - b)).toEqual([100, 150]);
      // The default output timestamp of a processing-time timer is the element's: it holds the watermark.
      expect(h.op.watermarkHold!()).toBe(1_000);
      await h.watermark(5_000);
      expect(h.out).toEqual([]);
      await h.advanceClock(99);
      expect(h.out).toEqual([]);
      await h.advanceClock(120);
      expect(rowsOf(h)).toEqual([{ key: "a", values: [0, 5], ts: 1_000 }]);
      expect(h.out[0].ts).toBe(1_000);
      expect(h.op.watermarkHold!()).toBe(1_500);
      await h.advanceClock(150);
      expect(rowsOf(h)).toHaveLength(2);
      expect(h.op.watermarkHold!()).toBe(MAX_TIMESTAMP);
    });

    test("event-time timers fire only once the watermark passes them; late input is dropped and counted", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }], 10_000).apply(
        "Sum",
        parDo({
          state: { sum: state.value<number>() },
          timers: { end: timer.eventTime() },
          process(row: KV<string, number>, ctx) {
            ctx.state.sum.write((ctx.state.sum.read() ?? 0) + row.value);
            ctx.timers.end.set(windowMaxTimestamp(ctx.window), { outputTimestamp: ctx.timestamp });
          },
          onTimer(_name, ctx) {
            ctx.output({ key: ctx.key, sum: ctx.state.sum.read() });
          },
        }),
      );
      const h = harness(p, "Sum", stateBackend);
      await h.send("main", [{ key: "a", value: 2 }], [3_000], [0, 10_000]);
      await h.send("main", [{ key: "a", value: 3 }], [4_000], [0, 10_000]);
      // Setting the timer again replaced it; its output timestamp now holds the watermark at 4000.
      expect(h.op.watermarkHold!()).toBe(4_000);
      await h.watermark(9_999);
      expect(h.out).toEqual([]);
      await h.watermark(10_000);
      expect(h.out).toEqual([{ tag: "main", row: { key: "a", sum: 5 }, ts: 4_000, window: "0-10000" }]);
      // The window expired with the timer (no allowed lateness): its state is gone, and later input is dropped.
      await h.send("main", [{ key: "a", value: 100 }], [5_000], [0, 10_000]);
      expect(h.counters.get("droppedDueToLateness")).toBe(1);
      await h.send("main", [{ key: "a", value: 7 }], [15_000], [10_000, 20_000]);
      await h.watermark(MAX_TIMESTAMP);
      await h.op.finish?.();
      expect(rowsOf(h)).toEqual([{ key: "a", sum: 5 }, { key: "a", sum: 7 }]);
    });

    test("state survives a snapshot and restore into a fresh operator", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply("Buffer", parDo(bufferingFn()));
      const h1 = harness(p, "Buffer", stateBackend);
      await h1.send("main", [{ key: "a", value: 0 }, { key: "a", value: 7 }], [10, 20]);
      const snap = structuredClone((h1.op as StatefulOperator).snapshot());
      const h2 = harness(p, "Buffer", stateBackend);
      (h2.op as StatefulOperator).restore(snap);
      expect(h2.wakeups).toEqual([100]);
      expect(h2.op.watermarkHold!()).toBe(10);
      await h2.advanceClock(100);
      expect(rowsOf(h2)).toEqual([{ key: "a", values: [0, 7], ts: 10 }]);
      expect(h1.out).toEqual([]);
    });

    test("onTimer may not output before the timer's output timestamp", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply(
        "Early",
        parDo({
          timers: { t: timer.eventTime() },
          process(_row: KV<string, number>, ctx) {
            ctx.timers.t.set(500);
          },
          onTimer(_name, ctx) {
            ctx.output({ x: 1 }, { timestamp: 10 });
          },
        }),
      );
      const h = harness(p, "Early", stateBackend);
      await h.send("main", [{ key: "a", value: 1 }], [100]);
      await expect(async () => h.watermark(1_000)).rejects.toThrow(/may not output earlier than the timer's output timestamp/);
    });

    test("the global window expires only at the end: its timers fire at the maximum watermark", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply(
        "AtEnd",
        parDo({
          timers: { t: timer.eventTime() },
          process(_row: KV<string, number>, ctx) {
            ctx.timers.t.set(windowMaxTimestamp(ctx.window));
          },
          onTimer(_name, ctx) {
            ctx.output({ at: ctx.timestamp });
          },
        }),
      );
      const h = harness(p, "AtEnd", stateBackend);
      await h.send("main", [{ key: "a", value: 1 }], [100]);
      await h.watermark(GLOBAL_WINDOW_MAX_TIMESTAMP);
      expect(h.out).toEqual([]);
      await h.watermark(MAX_TIMESTAMP);
      expect(rowsOf(h)).toEqual([{ at: GLOBAL_WINDOW_MAX_TIMESTAMP }]);
    });
  });

  describe("ParDo side inputs while streaming", () => {
    test("a main row waits only until the side input's watermark passes its side window, holding the watermark", async () => {
      const p = new Pipeline();
      const side = keyed(p, [{ k: "s", v: 1, t: 0 }], 10_000);
      const main = p.apply("Main", create([{ x: 1, t: 0 }])).apply("MainTs", withTimestamps("t")).apply("MainWin", windowInto(fixedWindows(10_000)));
      main.apply("Join", parDo({
        process(row: { x: number }, ctx) {
          ctx.output({ x: row.x, side: ctx.sideInput<KV<string, number>[]>("s").map((r) => r.value) });
        },
      }, { sideInputs: { s: sideInput.iterable(side) } }));
      const h = harness(p, "Join", stateBackend);
      await h.op.open?.();
      await h.send("main", [{ x: 1 }, { x: 2 }], [1_000, 12_000], undefined);
      // Global-window main rows map to the side's fixed window holding the end of the global window: they wait for the end.
      expect(h.out).toEqual([]);
      await h.send("main", [{ x: 3 }], [2_000], [0, 10_000]);
      await h.send("main", [{ x: 4 }], [13_000], [10_000, 20_000]);
      await h.send("side:s", [{ key: "s", value: 10 }], [5_000], [0, 10_000]);
      await h.send("side:s", [{ key: "s", value: 20 }], [15_000], [10_000, 20_000]);
      expect(h.op.watermarkHold!()).toBe(1_000);
      await h.watermark(10_000, "side:s");
      expect(rowsOf(h)).toEqual([{ x: 3, side: [10] }]);
      await h.watermark(20_000, "side:s");
      expect(rowsOf(h)).toEqual([{ x: 3, side: [10] }, { x: 4, side: [20] }]);
      expect(h.op.watermarkHold!()).toBe(1_000);
      await h.op.endOfInput?.("side:s");
      expect(rowsOf(h)).toHaveLength(4);
      expect(h.op.watermarkHold!()).toBe(MAX_TIMESTAMP);
    });
  });

  describe("relative timers: Beam's offset and align", () => {
    test("the firing time is now plus the offset, or the first time from now on whose sum with the offset is a multiple of the period", () => {
      expect(relativeFiringTime(1_234, 0, 0)).toBe(1_234);
      expect(relativeFiringTime(1_234, 500, 0)).toBe(1_734);
      expect(relativeFiringTime(1_234, 0, 1_000)).toBe(2_000);
      expect(relativeFiringTime(2_000, 0, 1_000)).toBe(2_000); // already aligned: now
      expect(relativeFiringTime(1_234, 300, 1_000)).toBe(1_700); // 1_700 + 300 is a multiple of 1_000
      expect(relativeFiringTime(1_700, 300, 1_000)).toBe(1_700);
      expect(relativeFiringTime(1_234, 1_300, 1_000)).toBe(1_700); // an offset beyond the period wraps
    });

    test("processing-time timers set with align and offset fire at the aligned time on the runner's clock", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }]).apply(
        "Aligned",
        parDo({
          timers: { aligned: timer.processingTime(), shifted: timer.processingTime(), later: timer.processingTime() },
          process(_row: KV<string, number>, ctx) {
            ctx.timers.aligned.align("1s").setRelative();
            ctx.timers.shifted.align(1_000).offset(300).setRelative();
            ctx.timers.later.offset("5s").setRelative();
          },
          onTimer(name, ctx) {
            ctx.output({ name, at: ctx.timestamp, now: ctx.processingTime() });
          },
        }),
      );
      const h = harness(p, "Aligned", stateBackend);
      h.now = 1_234;
      await h.send("main", [{ key: "a", value: 1 }], [0]);
      expect(h.wakeups.sort((a, b) => a - b)).toEqual([1_700, 2_000, 6_234]);
      await h.advanceClock(1_999);
      expect(rowsOf(h)).toEqual([{ name: "shifted", at: 1_700, now: 1_999 }]);
      await h.advanceClock(7_000);
      expect(rowsOf(h).map((r) => (r as { name: string }).name)).toEqual(["shifted", "aligned", "later"]);
      expect(rowsOf(h)[2]).toMatchObject({ at: 6_234 });
    });

    test("an event-time timer set relative to the element fires at its window's expiry when the offset reaches past it, and a bad period is refused", async () => {
      const p = new Pipeline();
      keyed(p, [{ k: "a", v: 1, t: 0 }], 10_000).apply(
        "Relative",
        parDo({
          timers: { t: timer.eventTime() },
          process(row: KV<string, number>, ctx) {
            if (row.value < 0) ctx.timers.t.align(row.value).setRelative();
            else ctx.timers.t.offset("1h").setRelative();
          },
          onTimer(_name, ctx) {
            ctx.output({ at: ctx.timestamp });
          },
        }),
      );
      const h = harness(p, "Relative", stateBackend);
      await h.send("main", [{ key: "a", value: 1 }], [2_000], [0, 10_000]);
      await h.watermark(MAX_TIMESTAMP);
      expect(rowsOf(h)).toEqual([{ at: 9_999 }]);
      const bad = harness(p, "Relative", stateBackend);
      await expect(bad.send("main", [{ key: "a", value: -5 }], [2_000], [0, 10_000])).rejects.toMatchObject({ code: "BL_BAD_TIMER", value: -5 });
    });
  });

  describe("processing time in a stateless DoFn", () => {
    test("ctx.processingTime() reads the runner's clock: the simulated one under TestStream", async () => {
      const p = new Pipeline();
      const seen = p
        .apply(
          testStream<{ v: number }>()
            .advanceProcessingTime(5_000)
            .addElements(timestamped({ v: 1 }, 1_000))
            .advanceProcessingTime(2_500)
            .addElements(timestamped({ v: 2 }, 2_000))
            .advanceWatermarkToInfinity(),
        )
        .apply(
          "Clock",
          parDo({
            process(row: { v: number }, ctx) {
              ctx.output({ v: row.v, now: ctx.processingTime() });
            },
          }),
        );
      const rows: unknown[] = [];
      seen.apply("Collect", parDo({ process: (r: unknown) => void rows.push(r) }));
      await runPipeline(p, { stateBackend });
      expect(rows).toHaveLength(2);
      const [first, second] = [...rows].sort((a, b) => (a as { v: number }).v - (b as { v: number }).v) as { now: number }[];
      expect(second.now - first.now).toBe(2_500);
      expect(first.now).toBe(5_000);
    });
  });

  describe("stateful DoFns under TestStream", () => {
    test("processing-time flushes on the simulated clock, event-time timers on watermark advances, late data dropped and counted", async () => {
      const p = new Pipeline();
      const events = p
        .apply(
          testStream<{ k: string; v: number }>()
            .advanceWatermarkTo(0)
            .addElements(timestamped({ k: "a", v: 1 }, 1_000), timestamped({ k: "a", v: 2 }, 2_000), timestamped({ k: "b", v: 5 }, 3_000))
            .advanceProcessingTime("30s")
            .addElements(timestamped({ k: "a", v: 3 }, 4_000))
            .advanceProcessingTime("31s") // a's first buffer (set at 0 + 60s) is due now, b's too
            .advanceWatermarkTo(10_000) // window [0, 10s) expires: its end-of-window timers fire
            .addElements(timestamped({ k: "a", v: 100 }, 9_000)) // late: its window expired
            .addElements(timestamped({ k: "a", v: 7 }, 12_000))
            .advanceWatermarkToInfinity(),
        )
        .apply(windowInto(fixedWindows(10_000)))
        .map((r) => ({ key: r.k, value: r.v }));
      const flushed = events.apply(
        "Flush",
        parDo({
          state: { buf: state.bag<number>(), total: state.combining(sum()) },
          timers: { flush: timer.processingTime(), end: timer.eventTime() },
          process(row: KV<string, number>, ctx) {
            if (ctx.state.buf.isEmpty()) ctx.timers.flush.set(ctx.processingTime() + 60_000);
            ctx.state.buf.add(row.value);
            ctx.state.total.add(row.value);
            ctx.timers.end.set(windowMaxTimestamp(ctx.window));
          },
          onTimer(name, ctx) {
            if (name === "flush") {
              ctx.output({ key: ctx.key, kind: "flush", values: ctx.state.buf.read() });
              ctx.state.buf.clear();
            } else {
              ctx.output({ key: ctx.key, kind: "end", values: [ctx.state.total.read()] });
            }
          },
        }),
      );
      assertThat(flushed).inWindow(intervalWindow(0, 10_000)).containsInAnyOrder([
        { key: "a", kind: "flush", values: [1, 2, 3] },
        { key: "b", kind: "flush", values: [5] },
        { key: "a", kind: "end", values: [6] },
        { key: "b", kind: "end", values: [5] },
      ]);
      // The last flush timer never fires: the window expires first and takes it along.
      assertThat(flushed).inWindow(intervalWindow(10_000, 20_000)).containsInAnyOrder([{ key: "a", kind: "end", values: [7] }]);
      const result = await runPipeline(p, { stateBackend });
      expect(result.metrics.counters.get("Flush")?.get("droppedDueToLateness")).toBe(1);
    });
  });
});
