import {
  create, parDo, Pipeline, PipelineConstructionError, state, sideInput, sum, timer, type BagState, type CombineFn,
  type CombiningState, type DoFn, type KV, type MapState, type OrderedListState, type SetState, type ValueState,
} from "beamline";
import { valueKey } from "../../sdk/state";
import { cellStorage, type Cells } from "../../runners/direct/state/cell-storage";
import { cellHandle } from "../../runners/runtime/state/cells";
import { StateTable } from "../../runners/direct/state/table";
import { thrownBy } from "../helpers";
import { TimerTable } from "../../runners/direct/state/timers";
import { BeamlineError, MAX_TIMESTAMP, MIN_TIMESTAMP, UserCodeError } from "beamline";

const meanFn: CombineFn<number, [number, number], number> = {
  createAccumulator: () => [0, 0],
  addInput: ([s, n], x) => [s + x, n + 1],
  mergeAccumulators: (accs) => accs.reduce(([s, n], [s2, n2]) => [s + s2, n + n2], [0, 0] as [number, number]),
  extractOutput: ([s, n]) => (n === 0 ? NaN : s / n),
};

function handle<H>(cells: Cells, spec: { kind: string }): H {
  return cellHandle("c", spec as never, cellStorage(cells, "c")) as H;
}

describe("state cells", () => {
  test("value: read, write, clear", () => {
    const cells: Cells = new Map();
    const v = handle<ValueState<number>>(cells, state.value<number>());
    expect(v.read()).toBeUndefined();
    v.write(3);
    v.write(4);
    expect(v.read()).toBe(4);
    v.clear();
    expect(v.read()).toBeUndefined();
    expect(cells.size).toBe(0);
  });

  test("bag keeps insertion order and copies on read", () => {
    const cells: Cells = new Map();
    const b = handle<BagState<string>>(cells, state.bag<string>());
    expect(b.isEmpty()).toBe(true);
    b.add("x");
    b.add("y");
    b.add("x");
    const r = b.read();
    r.push("mutated");
    expect(b.read()).toEqual(["x", "y", "x"]);
    b.clear();
    expect(b.isEmpty()).toBe(true);
  });

  test("combining folds through a CombineFn or a built-in aggregation", () => {
    const cells: Cells = new Map();
    const mean = handle<CombiningState<number, [number, number], number>>(cells, state.combining(meanFn));
    expect(mean.isEmpty()).toBe(true);
    expect(mean.read()).toBeNaN();
    [1, 2, 6].forEach((x) => mean.add(x));
    mean.addAccumulator([11, 1]);
    expect(mean.read()).toBe(5);
    expect(mean.readAccumulator()).toEqual([20, 4]);
    const total = handle<CombiningState<number, unknown, number>>(new Map(), state.combining(sum()));
    total.add(2);
    total.add(5);
    expect(total.read()).toBe(7);
  });

  test("map compares keys by value", () => {
    const cells: Cells = new Map();
    const m = handle<MapState<{ a: number; b: number }, string>>(cells, state.map());
    m.put({ a: 1, b: 2 }, "one");
    expect(m.get({ b: 2, a: 1 })).toBe("one");
    expect(m.putIfAbsent({ b: 2, a: 1 }, "other")).toBe("one");
    expect(m.putIfAbsent({ a: 2, b: 2 }, "two")).toBeUndefined();
    expect(m.keys()).toEqual([{ a: 1, b: 2 }, { a: 2, b: 2 }]);
    expect(m.values()).toEqual(["one", "two"]);
    m.remove({ a: 1, b: 2 });
    expect(m.has({ a: 1, b: 2 })).toBe(false);
    expect(m.entries()).toEqual([[{ a: 2, b: 2 }, "two"]]);
    m.remove({ a: 2, b: 2 });
    expect(m.isEmpty()).toBe(true);
  });

  test("set: add, addIfAbsent, remove", () => {
    const s = handle<SetState<number | bigint>>(new Map(), state.set());
    s.add(1);
    expect(s.addIfAbsent(1n)).toBe(false);
    expect(s.addIfAbsent(2)).toBe(true);
    expect(s.read()).toEqual([1, 2]);
    s.remove(1);
    expect(s.has(1)).toBe(false);
    expect(s.read()).toEqual([2]);
  });

  test("ordered list: sorted by timestamp, ties in insertion order, half-open ranges", () => {
    const cells: Cells = new Map();
    const l = handle<OrderedListState<string>>(cells, state.orderedList());
    l.add(30, "c");
    l.add(10, "a");
    l.add(20, "b1");
    l.add(20, "b2");
    l.add(40, "d");
    expect(l.read().map((x) => x.value)).toEqual(["a", "b1", "b2", "c", "d"]);
    expect(l.readRange(20, 40)).toEqual([{ timestamp: 20, value: "b1" }, { timestamp: 20, value: "b2" }, { timestamp: 30, value: "c" }]);
    l.clearRange(15, 31);
    expect(l.read()).toEqual([{ timestamp: 10, value: "a" }, { timestamp: 40, value: "d" }]);
    l.clearRange(0, 100);
    expect(l.isEmpty()).toBe(true);
    expect(cells.size).toBe(0);
    expect(() => l.add(NaN, "x")).toThrow(/numeric timestamp/);
    expect(l.isEmpty()).toBe(true);
  });
});

describe("state and timer tables", () => {
  const w1 = { start: 0, end: 10, global: false };
  const w2 = { start: 10, end: 20, global: false };

  test("an ordered list in the direct runner's table refuses NaN, infinite and out-of-range timestamps, naming value, rule and fix", () => {
    const t = new StateTable({ l: state.orderedList<string>() });
    const l = t.cells(t.namespace("k", valueKey("k"), w1)).l as OrderedListState<string>;
    for (const bad of [NaN, Infinity, -Infinity, MAX_TIMESTAMP + 1000, MIN_TIMESTAMP - 1000, "5" as unknown as number]) {
      const err = thrownBy(() => l.add(bad, "x"));
      expect(err).toBeInstanceOf(UserCodeError);
      const e = err as BeamlineError;
      expect(e.code).toBe("BL_BAD_ORDERED_LIST_TIMESTAMP");
      expect(e.value).toBe(typeof bad === "number" ? String(bad) : bad);
      expect(e.rule).toMatch(/numeric timestamp/);
      expect(e.fix).toMatch(/ms/);
      expect(e.where).toBe('ordered list state "l"');
    }
    expect(t.size).toBe(0);
    l.add(MAX_TIMESTAMP, "last");
    l.add(MIN_TIMESTAMP, "first");
    expect(l.read().map((x) => x.value)).toEqual(["first", "last"]);
    expect(l.readRange(-Infinity, Infinity)).toHaveLength(2);
    expect(() => l.readRange(NaN, 0)).toThrow(/"from" bound/);
    expect(() => l.clearRange(0, NaN)).toThrow(/"to" bound/);
  });

  test("a map rewritten key by key keeps its stored list small", () => {
    const t = new StateTable({ m: state.map<string, number>() });
    const ns = t.namespace("k", valueKey("k"), w1);
    const m = t.cells(ns).m as MapState<string, number>;
    for (let i = 0; i < 10_000; i++) m.put(`k${i % 5}`, i);
    expect(m.entries()).toEqual([["k0", 9995], ["k1", 9996], ["k2", 9997], ["k3", 9998], ["k4", 9999]]);
    expect(ns.cells.get("m")!.length).toBeLessThanOrEqual(2 * 5 + 8);
  });

  test("state is scoped per key and window and survives a snapshot round trip", () => {
    const t = new StateTable({ n: state.value<number>(), seen: state.set<string>(), m: state.map<string, number[]>() });
    const a1 = t.cells(t.namespace("a", valueKey("a"), w1));
    const a2 = t.cells(t.namespace("a", valueKey("a"), w2));
    const b1 = t.cells(t.namespace({ k: 1 }, valueKey({ k: 1 }), w1));
    (a1.n as ValueState<number>).write(1);
    (a2.n as ValueState<number>).write(2);
    (b1.seen as SetState<string>).add("x");
    (b1.m as MapState<string, number[]>).put("q", [1, 2]);
    const snap = t.snapshot();
    (a1.n as ValueState<number>).write(100);
    const copy = new StateTable({ n: state.value<number>(), seen: state.set<string>(), m: state.map<string, number[]>() });
    copy.restore(structuredClone(snap));
    const c = (key: unknown, w: typeof w1) => copy.cells(copy.namespace(key, valueKey(key), w));
    expect((c("a", w1).n as ValueState<number>).read()).toBe(1);
    expect((c("a", w2).n as ValueState<number>).read()).toBe(2);
    expect((c({ k: 1 }, w1).seen as SetState<string>).read()).toEqual(["x"]);
    expect((c({ k: 1 }, w1).m as MapState<string, number[]>).get("q")).toEqual([1, 2]);
    expect(copy.size).toBe(3);
    copy.drop("0:10", valueKey("a"));
    expect(copy.namespacesOf("0:10").map((n) => n.key)).toEqual([{ k: 1 }]);
  });

  test("timers: one per key, window and name; fire in time order; the hold is the minimum output timestamp", () => {
    const t = new TimerTable();
    const base = { key: "a", keyId: valueKey("a"), window: w1, domain: "event" as const };
    t.set({ ...base, name: "x", at: 9, outputTimestamp: 9 });
    t.set({ ...base, name: "y", at: 5, outputTimestamp: 2 });
    t.set({ ...base, name: "x", at: 7, outputTimestamp: 7 }); // replaces x@9
    t.set({ ...base, key: "b", keyId: valueKey("b"), name: "x", at: 7, outputTimestamp: 7 });
    t.set({ ...base, name: "p", domain: "processing", at: 1, outputTimestamp: 3 });
    expect(t.size).toBe(4);
    expect(t.hold()).toBe(2);
    const snap = t.snapshot();
    expect(t.popDue("event", 5, true)).toBeUndefined(); // the watermark must pass 5
    const order: string[] = [];
    for (let d = t.popDue("event", 8, true); d; d = t.popDue("event", 8, true)) order.push(`${d.key}.${d.name}@${d.at}`);
    expect(order).toEqual(["a.y@5", "a.x@7", "b.x@7"]);
    expect(t.hold()).toBe(3);
    expect(t.popDue("processing", 1, false)?.name).toBe("p");
    expect(t.hold()).toBe(MAX_TIMESTAMP);
    const back = new TimerTable();
    back.restore(snap);
    expect(back.size).toBe(4);
    expect(back.peek("event")).toMatchObject({ name: "y", at: 5 });
    back.clear("0:10", valueKey("a"), "y");
    expect(back.hold()).toBe(3);
  });

  test("resetting a timer many times keeps the table small", () => {
    const t = new TimerTable();
    for (let i = 0; i < 10_000; i++) t.set({ key: "k", keyId: "k", window: w1, name: "x", domain: "event", at: i, outputTimestamp: i });
    expect(t.size).toBe(1);
    expect(t.hold()).toBe(9_999);
    expect(t.popDue("event", MAX_TIMESTAMP, true)).toMatchObject({ at: 9_999 });
    expect(t.popDue("event", MAX_TIMESTAMP, true)).toBeUndefined();
  });
});

describe("declaring stateful DoFns", () => {
  test("the ParDo payload says stateful and lists the state and timers", () => {
    const p = new Pipeline();
    const fn: DoFn<KV<string, number>, number, { n: ReturnType<typeof state.value<number>> }, { t: ReturnType<typeof timer.eventTime> }> = {
      state: { n: state.value<number>() },
      timers: { t: timer.eventTime() },
      process(row, ctx) {
        ctx.state.n.write(row.value);
        ctx.timers.t.set(ctx.timestamp);
      },
      onTimer(_name, ctx) {
        ctx.output(ctx.state.n.read() ?? 0);
      },
    };
    p.apply(create([{ key: "a", value: 1 }])).apply("Stateful", parDo(fn));
    expect(p.graph().transforms["Stateful"].payload).toMatchObject({ stateful: true, state: { n: "value" }, timers: { t: "event" } });
  });

  test("state on rows that are not {key, value}, timers without onTimer and side inputs are refused", () => {
    const p = new Pipeline();
    const notKv = p.apply(create([{ a: 1 }]));
    const kv = p.apply("Kv", create([{ key: "a", value: 1 }]));
    expect(() => notKv.apply(parDo({ state: { n: state.value<number>() }, process() {} }))).toThrow(PipelineConstructionError);
    expect(() => notKv.apply(parDo({ state: { n: state.value<number>() }, process() {} }))).toThrow(/\{key, value\} rows/);
    expect(() => kv.apply(parDo({ timers: { t: timer.eventTime() }, process() {} }))).toThrow(/no onTimer/);
    expect(() => kv.apply(parDo({ state: { n: state.value<number>() }, process() {} }, { sideInputs: { s: sideInput.iterable(kv) } }))).toThrow(/side inputs/);
    expect(() => kv.apply(parDo({ state: { n: { kind: "nope" } as never }, process() {} }))).toThrow(/BL_BAD_STATE_SPEC|state\.\*/);
  });
});
