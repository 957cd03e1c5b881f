import { collect, create, fromArrow, partition, Pipeline, PipelineConstructionError, schema, t, UserCodeError, withTimestamps, windowInto, fixedWindows, count, combineGlobally } from "beamline";
import * as arrow from "apache-arrow";
import { rng, run, sorted } from "../helpers";

describe("partition", () => {
  test("routes every row to the partition its function picks (random data, nulls, unicode)", async () => {
    const r = rng(7);
    const names = ["ä", "日本", "🙂", "x", null];
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: names[Math.floor(r() * names.length)], v: r() < 0.1 ? null : Math.floor(r() * 100) }));
    const fn = (row: { v: number | null }, n: number) => (row.v === null ? n - 1 : row.v % (n - 1));
    const p = new Pipeline();
    const parts = p.apply(create(rows, { schema: schema({ id: t.float64(), name: t.string(), v: t.float64() }) })).apply(partition(4, fn));
    expect(parts).toHaveLength(4);
    for (const part of parts) expect(part.schema!.fields.map((f) => f.name)).toEqual(["id", "name", "v"]);
    const outs = parts.map((pc, i) => collect(pc, `Collect${i}`));
    await run(p);
    outs.forEach((o, i) => expect(sorted(o.rows)).toEqual(sorted(rows.filter((row) => fn(row, 4) === i))));
  });

  test("keeps timestamps and windows", async () => {
    const p = new Pipeline();
    const rows = p.apply(create([{ t: 1_000, k: 0 }, { t: 7_000, k: 1 }, { t: 8_000, k: 1 }])).apply(withTimestamps("t")).apply(windowInto(fixedWindows(5_000)));
    const [a, b] = rows.apply(partition(2, (x) => x.k));
    const ca = collect(a.apply("CountA", combineGlobally(count())), "A");
    const cb = collect(b.apply("CountB", combineGlobally(count())), "B");
    const raw = collect(b, "Raw");
    await run(p);
    expect(ca.elements.map((e) => [e.window.start, e.value])).toEqual([[0, 1]]);
    expect(cb.elements.map((e) => [e.window.start, e.value])).toEqual([[5_000, 2]]);
    expect(sorted(raw.elements.map((e) => e.timestamp))).toEqual([7_000, 8_000]);
  });

  test("one partition, and an empty input", async () => {
    const p = new Pipeline();
    const [all] = p.apply("Some", create([1, 2, 3])).apply(partition(1, () => 0));
    const empty = p.apply("None", create([], { schema: schema({ x: t.float64() }) })).apply("P2", partition(3, () => 0));
    const a = collect(all, "A");
    const e = empty.map((pc, i) => collect(pc, `E${i}`));
    await run(p);
    expect(sorted(a.rows)).toEqual([1, 2, 3]);
    for (const c of e) expect(c.rows).toEqual([]);
  });

  test("large input: 300k rows over 10 partitions", async () => {
    const n = 300_000;
    const p = new Pipeline();
    const parts = p
      .apply(fromArrow(arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => (i * 31) % 1000) })))
      .apply(partition(10, (row: { k: number }, m) => row.k % m));
    const counts = parts.map((pc, i) => collect(pc.apply(`Count${i}`, combineGlobally(count())), `C${i}`));
    const mins = parts.map((pc, i) => collect(pc.map((row) => row.k % 10, { name: `Mod${i}` }).apply(`Distinct${i}`, combineGlobally({
      createAccumulator: () => [] as number[],
      addInput: (a: number[], x: number) => (a.includes(x) ? a : [...a, x]),
      mergeAccumulators: (as: number[][]) => [...new Set(as.flat())],
      extractOutput: (a: number[]) => a.join(","),
    })), `D${i}`));
    await run(p);
    counts.forEach((c) => expect(c.rows).toEqual([n / 10]));
    mins.forEach((m, i) => expect(m.rows).toEqual([String(i)]));
  });

  test.each([
    ["out of range", 3, /returned 3 for this row; it must return an integer from 0 to 2/],
    ["negative", -1, /returned -1/],
    ["not an integer", 1.5, /returned 1.5/],
    ["NaN", NaN, /returned NaN/],
    ["not a number", "1", /returned string "1"/],
  ])("an index %s fails the run naming the row, the index, the rule and the fix", async (_what, bad, pattern) => {
    const p = new Pipeline();
    p.apply(create([{ id: 1 }, { id: 2 }])).apply("Split", partition(3, (row: { id: number }) => (row.id === 2 ? (bad as number) : 0)));
    const err = await run(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.code).toBe("BL_BAD_PARTITION");
    expect(err.message).toContain('transform "Split"');
    expect(err.message).toContain('{"id":2}');
    expect(err.message).toMatch(pattern);
    expect(err.fix).toMatch(/\[0, 3\)/);
  });

  test("a throwing partition function fails the run naming the row", async () => {
    const p = new Pipeline();
    p.apply(create([{ id: 1 }])).apply(partition(2, () => { throw new Error("nope"); }));
    await expect(run(p)).rejects.toThrow(/\{"id":1\}.*nope/);
  });

  test("a bad partition count is refused at construction", () => {
    expect(() => partition(0, () => 0)).toThrow(PipelineConstructionError);
    expect(() => partition(2.5, () => 0)).toThrow(/positive integer/);
    expect(() => partition(2, 3 as never)).toThrow(PipelineConstructionError);
  });
});
