import { collect, combineGlobally, combinePerKey, count, create, DirectRunner, fixedWindows, flatten, groupBy, groupByKey, max, mean, min, parDo, parDoWithOutputs, Pipeline, reshuffle, sessions, sideInput, slidingWindows, sum, UserCodeError, windowInto, withTimestamps, UnsupportedFeatureError, fromArrow, MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP } from "beamline";
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { defaultOperators } from "../../../runners/direct/operators/registry";
import * as arrow from "apache-arrow";
import { run, sorted } from "../../helpers";

describe("direct runner: element-wise", () => {
  test("map, flatMap and filter over rows keep the row's timestamp", async () => {
    const p = new Pipeline();
    const lines = p.apply(create(["a b", "", "c"]));
    const words = lines.flatMap((l: string) => l.split(" ").filter((w) => w));
    const upper = words.map((w: string) => ({ w: w.toUpperCase(), len: w.length })).filter((r) => r.w !== "B");
    const out = collect(upper);
    await run(p);
    expect(sorted(out.rows)).toEqual([{ w: "A", len: 1 }, { w: "C", len: 1 }]);
    expect(out.elements.every((e) => e.timestamp === MIN_TIMESTAMP)).toBe(true);
  });

  test("DoFn lifecycle runs setup, bundles and teardown in order", async () => {
    const calls: string[] = [];
    const p = new Pipeline();
    const out = collect(
      p.apply(create([1, 2, 3])).apply(
        parDo<number, number>({
          setup: () => void calls.push("setup"),
          startBundle: () => void calls.push("start"),
          process: (x, ctx) => ctx.output(x * 10),
          finishBundle: (ctx) => {
            calls.push("finish");
            ctx.output(-1);
          },
          teardown: () => void calls.push("teardown"),
        }),
      ),
    );
    await run(p);
    expect(sorted(out.rows)).toEqual(sorted([10, 20, 30, -1]));
    expect(calls).toEqual(["setup", "start", "finish", "teardown"]);
  });

  test("tagged outputs go to their own PCollections", async () => {
    const p = new Pipeline();
    const res = p.apply(create([1, 2, 3, 4, 5])).apply(
      parDoWithOutputs<number, "odd">(
        { process: (x, ctx) => (x % 2 ? ctx.output({ odd: x }, { tag: "odd" }) : ctx.output({ even: x })) },
        { outputs: { odd: null } },
      ),
    );
    const even = collect(res.main, "CollectEven");
    const odd = collect(res.odd, "CollectOdd");
    await run(p);
    expect(sorted(even.rows)).toEqual([{ even: 2 }, { even: 4 }]);
    expect(sorted(odd.rows)).toEqual([{ odd: 1 }, { odd: 3 }, { odd: 5 }]);
  });

  test("a throwing user function fails the run naming the transform and the row", async () => {
    const p = new Pipeline();
    p.apply(create([{ x: 1 }, { x: 2 }])).map((r: { x: number }) => {
      if (r.x === 2) throw new Error("boom");
      return r;
    }, { name: "Explode" });
    const err = await run(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.message).toContain('transform "Explode"');
    expect(err.message).toContain('{"x":2}');
    expect(err.message).toContain("boom");
  });

  test("side inputs: singleton, iterable and map", async () => {
    const p = new Pipeline();
    const nums = p.apply("Nums", create([1, 2, 3]));
    const total = nums.apply("Total", combineGlobally(sum()));
    const names = p.apply("Names", create([{ key: 1, value: "one" }, { key: 2, value: "two" }]));
    const out = collect(
      nums.apply(
        parDo<number, unknown>(
          {
            process(x, ctx) {
              ctx.output({ x, share: x / ctx.sideInput<number>("total"), all: ctx.sideInput<number[]>("all").length, name: ctx.sideInput<Map<number, string>>("names").get(x) ?? null });
            },
          },
          { sideInputs: { total: sideInput.singleton(total), all: sideInput.iterable(nums), names: sideInput.map(names) } },
        ),
      ),
    );
    await run(p);
    expect(sorted(out.rows)).toEqual(sorted([
      { x: 1, share: 1 / 6, all: 3, name: "one" },
      { x: 2, share: 2 / 6, all: 3, name: "two" },
      { x: 3, share: 3 / 6, all: 3, name: null },
    ]));
  });

  test("a singleton side input with several rows is refused with a fix", async () => {
    const p = new Pipeline();
    const nums = p.apply(create([1, 2]));
    nums.apply(parDo({ process: (x, ctx) => ctx.output(ctx.sideInput("s")) }, { sideInputs: { s: sideInput.singleton(nums) } }));
    await expect(run(p)).rejects.toThrow(/exactly one row in each window; it holds 2.*combineGlobally/);
  });
});

describe("direct runner: grouping and combining", () => {
  const sales = [
    { shop: "a", item: "x", amount: 10 },
    { shop: "a", item: "y", amount: 5 },
    { shop: "b", item: "x", amount: 7 },
    { shop: "a", item: "x", amount: 1 },
  ];

  test("groupBy(fields).aggregate with built-in combiners", async () => {
    const p = new Pipeline();
    const out = collect(
      p.apply(create(sales)).apply(groupBy("shop").aggregate({ n: count(), total: sum("amount"), lo: min("amount"), hi: max("amount"), avg: mean("amount") })),
    );
    await run(p);
    expect(sorted(out.rows)).toEqual([
      { shop: "a", n: 3, total: 16, lo: 1, hi: 10, avg: 16 / 3 },
      { shop: "b", n: 1, total: 7, lo: 7, hi: 7, avg: 7 },
    ]);
  });

  test("grouping by two fields, and plain groupBy giving {key, values}", async () => {
    const p = new Pipeline();
    const rows = p.apply(create(sales));
    const agg = collect(rows.apply(groupBy("shop", "item").aggregate({ total: sum("amount") })), "Agg");
    const grouped = collect(rows.apply(groupBy("item")), "Grouped");
    await run(p);
    expect(sorted(agg.rows)).toEqual([
      { shop: "a", item: "x", total: 11 },
      { shop: "a", item: "y", total: 5 },
      { shop: "b", item: "x", total: 7 },
    ]);
    const x = grouped.rows.find((g) => (g.key as { item: string }).item === "x")!;
    expect(sorted(x.values)).toEqual(sorted([sales[0], sales[2], sales[3]]));
  });

  test("groupByKey, combinePerKey with a custom CombineFn, combineGlobally", async () => {
    const p = new Pipeline();
    const kv = p.apply(create([{ key: "k", value: 3 }, { key: "j", value: 1 }, { key: "k", value: 4 }]));
    const grouped = collect(kv.apply(groupByKey()), "G");
    const longest = collect(
      kv.apply(
        combinePerKey<string, number, string>({
          createAccumulator: () => [] as number[],
          addInput: (a: number[], v: number) => [...a, v],
          mergeAccumulators: (as: number[][]) => as.flat(),
          extractOutput: (a: number[]) => a.sort().join("+"),
        }),
      ),
      "C",
    );
    const total = collect(kv.map((r) => r.value).apply(combineGlobally(sum())), "T");
    await run(p);
    expect(sorted(grouped.rows.map((g) => ({ key: g.key, values: [...g.values].sort() })))).toEqual([
      { key: "j", values: [1] },
      { key: "k", values: [3, 4] },
    ]);
    expect(sorted(longest.rows)).toEqual([{ key: "j", value: "1" }, { key: "k", value: "3+4" }]);
    expect(total.rows).toEqual([8]);
    expect(grouped.elements[0].pane).toEqual({ timing: "on_time", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 });
    expect(grouped.elements[0].timestamp).toBe(GLOBAL_WINDOW_MAX_TIMESTAMP);
  });

  test("combining an empty input globally gives the empty result; per key gives nothing", async () => {
    const p = new Pipeline();
    const none = p.apply(create([1])).filter(() => false);
    const g = collect(none.apply(combineGlobally(count())), "G");
    const k = collect(none.map((x) => ({ key: x, value: x })).apply(combinePerKey(sum())), "K");
    await run(p);
    expect(g.rows).toEqual([0]);
    expect(k.rows).toEqual([]);
  });

  test("the unlifted expansion gives the same results as the lifted combine", async () => {
    const build = () => {
      const p = new Pipeline();
      const rows = p.apply(create(sales));
      const a = collect(rows.apply(groupBy("shop").aggregate({ n: count(), total: sum("amount"), avg: mean("amount") })), "A");
      const g = collect(rows.map((r) => r.amount).apply(combineGlobally(max())), "G");
      return { p, a, g };
    };
    const lifted = build();
    await new DirectRunner().run(lifted.p);
    const ops = defaultOperators();
    ops.delete(COMBINE_PER_KEY_URN);
    ops.delete(COMBINE_GLOBALLY_URN);
    const expanded = build();
    const result = await new DirectRunner({ operators: ops }).run(expanded.p);
    expect(result.plan.nodes.some((n) => n.transform.urn === COMBINE_PER_KEY_URN)).toBe(false);
    expect(sorted(expanded.a.rows)).toEqual(sorted(lifted.a.rows));
    expect(expanded.g.rows).toEqual(lifted.g.rows);
  });

  test("a runner missing an operator reports every unsupported transform before running", async () => {
    const p = new Pipeline();
    const x = p.apply(create([{ key: 1, value: 1 }]));
    x.apply(groupByKey());
    x.apply("Again", groupByKey());
    const ops = defaultOperators();
    ops.delete("beam:transform:group_by_key:v1");
    const err = await new DirectRunner({ operators: ops }).run(p).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect(err.message).toContain("GroupByKey");
    expect(err.message).toContain("Again");
  });

  test("large inputs: 300k rows over 1000 keys", async () => {
    const n = 300_000;
    const p = new Pipeline();
    const out = collect(
      p.apply(fromArrow(arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => i % 1000), v: Float64Array.from({ length: n }, () => 1) })))
        .apply(groupBy("k").aggregate({ s: sum("v") })),
    );
    await run(p);
    expect(out.rows.length).toBe(1000);
    expect(out.rows.every((r) => r.s === 300)).toBe(true);
  });
});

describe("direct runner: windows", () => {
  const events = [
    { user: "u", t: 1_000 },
    { user: "u", t: 2_000 },
    { user: "u", t: 9_000 },
    { user: "v", t: 1_500 },
  ];

  test("fixed windows group per window with end-of-window timestamps", async () => {
    const p = new Pipeline();
    const out = collect(p.apply(create(events)).apply(withTimestamps("t")).apply(windowInto(fixedWindows(5_000))).apply(groupBy("user").aggregate({ n: count() })));
    await run(p);
    const got = out.elements.map((e) => ({ ...(e.value as object), start: e.window.start, end: e.window.end, ts: e.timestamp }));
    expect(sorted(got)).toEqual(sorted([
      { user: "u", n: 2, start: 0, end: 5_000, ts: 4_999 },
      { user: "u", n: 1, start: 5_000, end: 10_000, ts: 9_999 },
      { user: "v", n: 1, start: 0, end: 5_000, ts: 4_999 },
    ]));
  });

  test("sliding windows put each element in every window it belongs to", async () => {
    const p = new Pipeline();
    const out = collect(p.apply(create([{ t: 7_000 }])).apply(withTimestamps("t")).apply(windowInto(slidingWindows(10_000, 5_000))).apply(combineGlobally(count())));
    await run(p);
    expect(sorted(out.elements.map((e) => [e.window.start, e.window.end, e.value]))).toEqual([[0, 10_000, 1], [5_000, 15_000, 1]]);
  });

  test("session windows merge per key", async () => {
    const p = new Pipeline();
    const out = collect(p.apply(create(events)).apply(withTimestamps((r) => r.t)).apply(windowInto(sessions(3_000))).map((r) => ({ key: r.user, value: r.t })).apply(groupByKey()));
    await run(p);
    expect(sorted(out.elements.map((e) => ({ ...(e.value as object), start: e.window.start, end: e.window.end })))).toEqual(sorted([
      { key: "u", values: [1_000, 2_000], start: 1_000, end: 5_000 },
      { key: "u", values: [9_000], start: 9_000, end: 12_000 },
      { key: "v", values: [1_500], start: 1_500, end: 4_500 },
    ]));
  });

  test("flatten and reshuffle pass every row through", async () => {
    const p = new Pipeline();
    const a = p.apply("A", create([1, 2]));
    const b = p.apply("B", create([3]));
    const out = collect(flatten([a, b]).apply(reshuffle()));
    await run(p);
    expect(sorted(out.rows)).toEqual([1, 2, 3]);
  });

  test("a bad timestamp fails with the row and the fix", async () => {
    const p = new Pipeline();
    p.apply(create([{ t: "yesterday" }])).apply(withTimestamps((r) => r.t as unknown as number));
    await expect(run(p)).rejects.toThrow(/yesterday.*finite number of ms/);
  });
});
