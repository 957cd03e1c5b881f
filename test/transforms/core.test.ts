import * as arrow from "apache-arrow";
import {
  collect, combineGlobally, count, create, createColumns, fromArrow, groupBy, groupByKey, mapBatches, Pipeline, runPipeline,
  schema, t, SchemaError, UserCodeError, countPerElement, sum, max, windowInto, fixedWindows, withTimestamps,
} from "beamline";
import { sorted } from "../helpers";

describe("create", () => {
  test("rows, column arrays and Arrow tables give the same rows", async () => {
    const p = new Pipeline();
    const a = collect(p.apply("Rows", create([{ x: 1, y: "a" }, { x: null, y: "b" }])), "A");
    const b = collect(p.apply("Cols", createColumns({ x: [1, null], y: ["a", "b"] })), "B");
    const c = collect(p.apply("Table", fromArrow(arrow.tableFromArrays({ x: Float64Array.from([1, NaN]), y: ["a", "b"] }))), "C");
    await runPipeline(p);
    expect(a.rows).toEqual([{ x: 1, y: "a" }, { x: null, y: "b" }]);
    expect(b.rows).toEqual(a.rows);
    expect(c.rows[0]).toEqual({ x: 1, y: "a" });
    expect(Number.isNaN((c.rows[1] as { x: number }).x)).toBe(true);
  });

  test("a flatMap whose later batch emits fewer rows than an earlier one emits exactly its own", async () => {
    // Two input batches: the first fans out to 7 rows, the second to 2 (the output rows' array is reused).
    const first = arrow.tableFromArrays({ n: Int32Array.from([3, 4]), x: Int32Array.from([10, 11]) });
    const second = arrow.tableFromArrays({ n: Int32Array.from([2]), x: Int32Array.from([12]) });
    const table = new arrow.Table([...first.batches, ...second.batches]);
    const p = new Pipeline();
    const out = collect(
      p.apply(fromArrow(table)).flatMap((r) => Array.from({ length: r.n as number }, (_, i) => `${r.x}.${i}`)),
      "Out",
    );
    await runPipeline(p);
    expect(sorted(out.rows as string[])).toEqual(["10.0", "10.1", "10.2", "11.0", "11.1", "11.2", "11.3", "12.0", "12.1"]);
  });

  test("declared schemas are enforced at construction, with the row and field", () => {
    const p = new Pipeline();
    const S = schema({ id: t.int64(), name: t.string() });
    expect(p.apply("Ok", create([{ id: 1, name: "x" }], { schema: S })).schema!.fields[0].type.toString()).toBe("Int64");
    expect(() => p.apply("Bad", create([{ id: 1, name: "x" }, { id: 1.5, name: "y" }], { schema: S }))).toThrow(SchemaError);
    expect(() => p.apply("Bad2", create([{ id: 1, name: 2 as unknown as string }], { schema: S }))).toThrow(/row 0, field "name"/);
    expect(() => p.apply("Cols", createColumns({ a: [1, 2], b: [1] }))).toThrow(/same length/);
  });

  test("an empty create with a schema runs and produces nothing; aggregates of nothing are empty", async () => {
    const p = new Pipeline();
    const none = p.apply(create([], { schema: schema({ k: t.string(), v: t.float64() }) }));
    const g = collect(none.apply(groupBy("k").aggregate({ s: sum("v") })), "G");
    const c = collect(none.apply(combineGlobally(count())), "C");
    await runPipeline(p);
    expect(g.rows).toEqual([]);
    expect(c.rows).toEqual([0]);
  });
});

describe("mapBatches", () => {
  test("a batch function sees whole RecordBatches and keeps timestamps when the row count is kept", async () => {
    const p = new Pipeline();
    const sizes: number[] = [];
    const out = collect(
      p.apply(create(Array.from({ length: 100_000 }, (_, i) => ({ t: i, v: i }))))
        .apply(withTimestamps("t"))
        .apply(
          mapBatches((b: arrow.RecordBatch) => {
            sizes.push(b.numRows);
            const v = b.getChild("v")!.toArray() as Float64Array;
            const doubled = v.map((x) => x * 2);
            return new arrow.RecordBatch({ v2: arrow.makeData({ type: new arrow.Float64(), length: b.numRows, data: doubled }) });
          }),
        ),
    );
    await runPipeline(p);
    expect(sizes.length).toBeLessThan(10);
    expect(out.rows.length).toBe(100_000);
    expect(out.elements[12345]).toMatchObject({ value: { v2: 24690 }, timestamp: 12345 });
  });

  test("a batch function that returns something else fails naming the transform", async () => {
    const p = new Pipeline();
    p.apply(create([1])).apply("Broken", mapBatches(() => "nope" as unknown as arrow.RecordBatch));
    const err = await runPipeline(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.message).toMatch(/Broken.*must return an Arrow RecordBatch/);
  });
});

describe("grouping with nulls, unicode and large inputs", () => {
  test("unicode and null keys group exactly", async () => {
    const p = new Pipeline();
    const words = ["日本語", "naïve", "日本語", "😀", null, "naïve", null, ""];
    const out = collect(p.apply(create(words)).apply(countPerElement<string | null>()));
    await runPipeline(p);
    expect(sorted(out.rows)).toEqual(sorted([
      { key: "日本語", value: 2 }, { key: "naïve", value: 2 }, { key: "😀", value: 1 }, { key: null, value: 2 }, { key: "", value: 1 },
    ]));
  });

  test("aggregations ignore null values; max of only nulls is null", async () => {
    const p = new Pipeline();
    const out = collect(p.apply(create([{ k: "a", v: null }, { k: "a", v: 2 }, { k: "b", v: null }], { schema: schema({ k: t.string(), v: t.float64() }) }))
      .apply(groupBy("k").aggregate({ n: count(), s: sum("v"), hi: max("v") })));
    await runPipeline(p);
    expect(sorted(out.rows)).toEqual([{ k: "a", n: 2, s: 2, hi: 2 }, { k: "b", n: 1, s: 0, hi: null }]);
  });

  test("groupByKey over 200k rows and 50k keys keeps every value", async () => {
    const n = 200_000;
    const p = new Pipeline();
    const out = collect(p.apply(fromArrow<{ key: number; value: number }>(arrow.tableFromArrays({
      key: Int32Array.from({ length: n }, (_, i) => i % 50_000),
      value: Int32Array.from({ length: n }, (_, i) => i),
    }))).apply(groupByKey()));
    await runPipeline(p);
    expect(out.rows.length).toBe(50_000);
    const g = out.rows.find((r) => r.key === 123)!;
    expect([...g.values].sort((a, b) => a - b)).toEqual([123, 50_123, 100_123, 150_123]);
  });

  test("values of a key spread over windows stay in their windows", async () => {
    const p = new Pipeline();
    const out = collect(p.apply(create([{ key: "k", value: 1, t: 0 }, { key: "k", value: 2, t: 60_000 }]))
      .apply(withTimestamps("t")).apply(windowInto(fixedWindows("1m"))).map((r) => ({ key: r.key, value: r.value })).apply(groupByKey()));
    await runPipeline(p);
    expect(sorted(out.elements.map((e) => [e.window.start, e.value.values]))).toEqual([[0, [1]], [60_000, [2]]]);
  });
});
