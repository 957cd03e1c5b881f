import * as arrow from "apache-arrow";
import { collect, countPerElement, fromArrow, groupBy, count, sum, mean, max, Pipeline, combinePerKey, runPipeline, SchemaError, create } from "beamline";
import * as rows from "../../../sdk/rows";

/** Field lists of every batch read as row objects during a run. */
function rowReads(): { fields: string[][]; restore: () => void } {
  const fields: string[][] = [];
  const accessor = rows.rowAccessor;
  const toRows = rows.recordBatchToRows;
  const spies = [
    jest.spyOn(rows, "rowAccessor").mockImplementation((b: arrow.RecordBatch) => {
      fields.push(b.schema.fields.map((f) => f.name));
      return accessor(b);
    }),
    jest.spyOn(rows, "recordBatchToRows").mockImplementation((b: arrow.RecordBatch) => {
      fields.push(b.schema.fields.map((f) => f.name));
      return toRows(b);
    }),
  ];
  return { fields, restore: () => spies.forEach((s) => s.mockRestore()) };
}

describe("columnar hot paths", () => {
  test("built-in aggregations and countPerElement never read input rows as objects", async () => {
    const n = 100_000;
    const table = arrow.tableFromArrays({
      k: Int32Array.from({ length: n }, (_, i) => i % 97),
      v: Float64Array.from({ length: n }, (_, i) => i % 7),
    });
    const p = new Pipeline();
    const input = p.apply(fromArrow(table));
    const agg = collect(input.apply(groupBy("k").aggregate({ n: count(), s: sum("v"), m: mean("v"), hi: max("v") })), "A");
    const words = collect(p.apply("Words", create(["a", "b", "a"])).apply(countPerElement<string>()), "W");
    const spy = rowReads();
    try {
      await runPipeline(p);
    } finally {
      spy.restore();
    }
    // Only the collected outputs were read as rows; never the 100k input rows.
    expect(spy.fields.some((f) => f.join() === "k,v")).toBe(false);
    expect(spy.fields.some((f) => f.join() === "value")).toBe(false);
    expect(agg.rows.length).toBe(97);
    const r0 = agg.rows.find((r) => (r as { k: number }).k === 0) as { n: number; s: number };
    let s0 = 0;
    let n0 = 0;
    for (let i = 0; i < n; i += 97) {
      s0 += i % 7;
      n0++;
    }
    expect(r0).toMatchObject({ n: n0, s: s0 });
    expect(words.rows.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([{ key: "a", value: 2 }, { key: "b", value: 1 }]);
  });

  test("combinePerKey with a built-in on {key, value} rows is columnar too", async () => {
    const p = new Pipeline();
    const kvs = p.apply(fromArrow<{ key: number; value: number }>(arrow.tableFromArrays({ key: Int32Array.from([1, 2, 1]), value: Float64Array.from([1, 2, 3]) })));
    const out = collect(kvs.apply(combinePerKey(sum())));
    const spy = rowReads();
    try {
      await runPipeline(p);
    } finally {
      spy.restore();
    }
    expect(spy.fields.filter((f) => f.join() === "key,value").length).toBe(1); // the collect of the output only
    expect(out.rows.sort((a, b) => a.key - b.key)).toEqual([{ key: 1, value: 4 }, { key: 2, value: 2 }]);
  });

  test("rows whose types change mid-stream fail with the row, the field and a fix", async () => {
    const p = new Pipeline();
    p.apply(create([1, 2, 3])).map((x) => ({ v: x === 3 ? "three" : x }), { name: "Shape" });
    const err = await runPipeline(p).catch((e) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.message).toMatch(/Shape.*"three".*field "v".*float64/);
  });
});
