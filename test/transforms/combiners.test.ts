import { approxCountDistinct, collect, combineGlobally, combinePerKey, create, fromArrow, groupBy, Pipeline, PipelineConstructionError, schema, SchemaError, t, top, type CombineFn } from "beamline";
import { hllCreate } from "../../transforms/approximate";
import { topCombineFn } from "../../transforms/top";
import { hllAdd, hllMerge, hllEstimate } from "../../transforms/approximate";
import * as arrow from "apache-arrow";
import { rng, run, sorted } from "../helpers";

/** Feeds values through a CombineFn in `parts` random partial accumulators, then merges them. */
function combineSplit<I, A, O>(fn: CombineFn<I, A, O>, values: I[], parts: number, r: () => number): O {
  const accs = Array.from({ length: parts }, () => fn.createAccumulator());
  for (const v of values) {
    const k = Math.floor(r() * parts);
    accs[k] = fn.addInput(accs[k], v);
  }
  return fn.extractOutput(fn.mergeAccumulators(accs));
}

function combineAll<I, A, O>(fn: CombineFn<I, A, O>, values: I[]): O {
  let acc = fn.createAccumulator();
  for (const v of values) acc = fn.addInput(acc, v);
  return fn.extractOutput(acc);
}

describe("top", () => {
  const r = rng(5);
  const players = ["ann", "bob", "çé", "日本", "🙂"];
  const rows = Array.from({ length: 3000 }, (_, i) => ({ player: players[Math.floor(r() * players.length)], score: r() < 0.05 ? null : Math.floor(r() * 10_000), game: i }));
  const rowSchema = schema({ player: t.string(), score: t.float64(), game: t.float64() });

  test("in groupBy(...).aggregate, largest and smallest, against a sort-based reference", async () => {
    const p = new Pipeline();
    const agg = p.apply(create(rows, { schema: rowSchema })).apply(groupBy("player").aggregate({
      top3: top(3, { field: "score" }),
      low2: top(2, { field: "score", order: "smallest" }),
    }));
    expect(agg.schema!.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["player:Utf8", "top3:List<Float64>", "low2:List<Float64>"]);
    const out = collect(agg);
    await run(p);
    const expected = players.map((player) => {
      const s = rows.filter((x) => x.player === player && x.score !== null).map((x) => x.score as number);
      return { player, top3: [...s].sort((a, b) => b - a).slice(0, 3), low2: [...s].sort((a, b) => a - b).slice(0, 2) };
    });
    expect(sorted(out.rows)).toEqual(sorted(expected));
  });

  test("whole rows ranked by a field, and by a comparator", async () => {
    const p = new Pipeline();
    const src = p.apply(create(rows, { schema: rowSchema }));
    const byField = collect(src.apply(groupBy("player").aggregate({ best: top(2, { by: "score" }) })), "ByField");
    const byFn = collect(src.apply("Globally", combineGlobally(top<typeof rows[number]>(4, { by: (a, b) => (a.score ?? -1) - (b.score ?? -1) || b.game - a.game }))), "ByFn");
    await run(p);
    for (const player of players) {
      const s = rows.filter((x) => x.player === player && x.score !== null).sort((a, b) => (b.score as number) - (a.score as number));
      const got = (byField.rows as { player: string; best: typeof rows }[]).find((x) => x.player === player)!;
      expect(got.best.map((x) => x.score)).toEqual(s.slice(0, 2).map((x) => x.score));
    }
    const all = [...rows].sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.game - b.game);
    expect(byFn.rows).toEqual([all.slice(0, 4)]);
  });

  test("combinePerKey(top(2)) and combineGlobally(top(5)) with declared output types", async () => {
    const p = new Pipeline();
    const kv = p.apply(create(rows.filter((x) => x.score !== null).map((x) => ({ key: x.player, value: x.score as number }))));
    const perKey = kv.apply(combinePerKey(top(2)));
    expect(perKey.schema!.fields.map((f) => String(f.type))).toEqual(["Utf8", "List<Float64>"]);
    const global = kv.map((x) => x.value).apply(combineGlobally(top(5)));
    const a = collect(perKey, "A");
    const b = collect(global, "B");
    await run(p);
    for (const player of players) {
      const s = rows.filter((x) => x.player === player && x.score !== null).map((x) => x.score as number).sort((x, y) => y - x);
      expect((a.rows as { key: string; value: number[] }[]).find((x) => x.key === player)!.value).toEqual(s.slice(0, 2));
    }
    expect(b.rows).toEqual([rows.filter((x) => x.score !== null).map((x) => x.score as number).sort((x, y) => y - x).slice(0, 5)]);
  });

  test("strings, an empty input, fewer values than n, and n = 0", async () => {
    const p = new Pipeline();
    const words = p.apply("Words", create(["pear", "äpfel", "apple", "zoo", "日本"]));
    const a = collect(words.apply("TopWords", combineGlobally(top(2))), "A");
    const b = collect(words.apply("Smallest", combineGlobally(top(10, { order: "smallest" }))), "B");
    const none = p.apply("None", create([], { schema: schema({ x: t.float64() }) }));
    const c = collect(none.apply("Empty", groupBy("x").aggregate({ t: top(3, { field: "x" }) })), "C");
    const d = collect(p.apply("Nums", create([3, 1, 2])).apply("Zero", combineGlobally(top(0))), "D");
    await run(p);
    expect(a.rows).toEqual([["日本", "äpfel"]]);
    expect(b.rows).toEqual([["apple", "pear", "zoo", "äpfel", "日本"]]);
    expect(c.rows).toEqual([]);
    expect(d.rows).toEqual([[]]);
  });

  test("mergeAccumulators of random partial heaps equals one heap and a sort (numbers, bigints)", () => {
    const r2 = rng(9);
    for (const n of [1, 3, 10, 100]) {
      const values = Array.from({ length: 5000 }, () => Math.floor(r2() * 1e6) - 5e5);
      for (const order of ["largest", "smallest"] as const) {
        const fn = topCombineFn<number>(n, { order });
        const expected = [...values].sort((a, b) => (order === "largest" ? b - a : a - b)).slice(0, n);
        expect(combineAll(fn, values)).toEqual(expected);
        expect(combineSplit(fn, values, 7, r2)).toEqual(expected);
        expect(fn.extractOutput(fn.mergeAccumulators([fn.createAccumulator(), fn.createAccumulator()]))).toEqual([]);
      }
    }
    const big = topCombineFn<bigint | number>(2);
    expect(combineAll(big, [1n, 2 ** 60, 3n, 10])).toEqual([2 ** 60, 10]);
  });

  test("large input: top 5 of 300k values per 3 keys", async () => {
    const n = 300_000;
    const v = Float64Array.from({ length: n }, (_, i) => (i * 7_919) % n);
    const p = new Pipeline();
    const out = collect(p.apply(fromArrow(arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => i % 3), v }))).apply(groupBy("k").aggregate({ t: top(5, { field: "v" }) })));
    await run(p);
    const expected = [0, 1, 2].map((k) => ({ k, t: Array.from(v).filter((_, i) => i % 3 === k).sort((a, b) => b - a).slice(0, 5) }));
    expect(sorted(out.rows)).toEqual(sorted(expected));
  });

  test("bad arguments and values that cannot be ranked", async () => {
    expect(() => top(-1)).toThrow(PipelineConstructionError);
    expect(() => top(1.5)).toThrow(/non-negative integer/);
    expect(() => top(2, { order: "biggest" as never })).toThrow(/largest.*smallest/);
    const p = new Pipeline();
    const src = p.apply(create(rows.slice(0, 5), { schema: rowSchema }));
    expect(() => src.apply(groupBy("player").aggregate({ t: top(2) }))).toThrow(SchemaError);
    expect(() => src.apply("Again", groupBy("player").aggregate({ t: top(2) }))).toThrow(/top\(2, \{ field: "score" \}\)/);
    const q = new Pipeline();
    q.apply(create([{ key: 1, value: { a: 1 } }, { key: 1, value: { a: 2 } }])).apply(combinePerKey(top(1)));
    await expect(run(q)).rejects.toThrow(/top cannot compare an object with an object/);
  });
});

describe("approxCountDistinct", () => {
  function distinctStrings(n: number, seed: number): string[] {
    return Array.from({ length: n }, (_, i) => `user-${seed}-${i}`);
  }

  test.each([
    [100_000, 14, 0.02],
    [1_000_000, 14, 0.02],
    [100_000, 12, 0.03],
    [500_000, 12, 0.03],
  ])("%i distinct strings at precision %i are within %f", (n, precision, tolerance) => {
    const fn = approxCountDistinct(null, { precision }).fn;
    const est = combineAll(fn, distinctStrings(n, n + precision));
    expect(Math.abs(est - n) / n).toBeLessThan(tolerance);
  });

  test("distinct numbers (integers and floats) are within 2% at precision 14", () => {
    const r = rng(3);
    const fn = approxCountDistinct(null, { precision: 14 }).fn;
    const ints = Array.from({ length: 300_000 }, (_, i) => i);
    const floats = Array.from({ length: 200_000 }, () => r());
    expect(Math.abs(combineAll(fn, ints) - 300_000) / 300_000).toBeLessThan(0.02);
    expect(Math.abs(combineAll(fn, floats) - 200_000) / 200_000).toBeLessThan(0.02);
  });

  test("small sets are counted (almost) exactly; duplicates and nulls do not count", () => {
    const fn = approxCountDistinct().fn;
    expect(combineAll(fn, [])).toBe(0);
    expect(combineAll(fn, [null, undefined])).toBe(0);
    for (const n of [1, 2, 5, 10, 50, 100, 500]) {
      const values = Array.from({ length: n }, (_, i) => `k${i}`);
      const withDups = [...values, ...values, ...values, null];
      const est = combineAll(fn, withDups);
      expect(Math.abs(est - n)).toBeLessThanOrEqual(Math.max(1, n * 0.02));
    }
    // Values of different kinds are different values; equal numbers are one value.
    expect(combineAll(fn, [1, "1", true, "true", 1n, 0, -0, 1.0])).toBe(5);
  });

  test("merging sketches equals sketching the union", () => {
    const r = rng(4);
    const a = Array.from({ length: 60_000 }, () => Math.floor(r() * 100_000));
    const b = Array.from({ length: 60_000 }, () => Math.floor(r() * 100_000) + 50_000);
    const sa = hllCreate(12);
    const sb = hllCreate(12);
    const su = hllCreate(12);
    a.forEach((v) => { hllAdd(sa, v); hllAdd(su, v); });
    b.forEach((v) => { hllAdd(sb, v); hllAdd(su, v); });
    const merged = hllMerge([sa, sb]);
    expect(Array.from(merged.registers)).toEqual(Array.from(su.registers));
    const fn = approxCountDistinct(null, { precision: 12 }).fn;
    const truth = new Set([...a, ...b]).size;
    expect(hllEstimate(merged)).toBe(combineSplit(fn, [...a, ...b], 5, r));
    expect(Math.abs(hllEstimate(merged) - truth) / truth).toBeLessThan(0.03);
    expect(() => hllMerge([hllCreate(10), hllCreate(12)])).toThrow(/same precision/);
  });

  test("per group in a pipeline, declared int64, with unicode keys and nulls", async () => {
    const r = rng(8);
    const pages = ["/", "/ä", "/日本", "/🙂"];
    const rows = Array.from({ length: 200_000 }, () => {
      const page = pages[Math.floor(r() * pages.length)];
      return { page, user: r() < 0.01 ? null : `u${Math.floor(r() * 40_000)}` };
    });
    const p = new Pipeline();
    const agg = p.apply(create(rows)).apply(groupBy("page").aggregate({ users: approxCountDistinct("user", { precision: 14 }) }));
    expect(String(agg.schema!.fields[1].type)).toBe("Int64");
    const out = collect(agg);
    await run(p);
    for (const page of pages) {
      const truth = new Set(rows.filter((x) => x.page === page && x.user !== null).map((x) => x.user)).size;
      const got = (out.rows as { page: string; users: number }[]).find((x) => x.page === page)!.users;
      expect(Math.abs(got - truth) / truth).toBeLessThan(0.02);
    }
  });

  test("globally and per key; an empty input counts 0", async () => {
    const p = new Pipeline();
    const nums = p.apply("Nums", create([1, 2, 2, 3, 3, 3]));
    const a = collect(nums.apply("G", combineGlobally(approxCountDistinct())), "A");
    const b = collect(p.apply("KV", create([{ key: "x", value: 1 }, { key: "x", value: 1 }, { key: "y", value: 2 }])).apply(combinePerKey(approxCountDistinct())), "B");
    const c = collect(nums.filter(() => false).apply("E", combineGlobally(approxCountDistinct())), "C");
    await run(p);
    expect(a.rows).toEqual([3]);
    expect(sorted(b.rows)).toEqual([{ key: "x", value: 1 }, { key: "y", value: 1 }]);
    expect(c.rows).toEqual([0]);
  });

  test("a bad precision is refused", () => {
    expect(() => approxCountDistinct(null, { precision: 3 })).toThrow(PipelineConstructionError);
    expect(() => approxCountDistinct("x", { precision: 19 })).toThrow(/from 4 to 18/);
    expect(() => approxCountDistinct("x", { precision: 12.5 })).toThrow(PipelineConstructionError);
  });
});
