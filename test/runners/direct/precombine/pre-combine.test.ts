import * as path from "node:path";
import * as arrow from "apache-arrow";
import { buildPipeline, DirectRunner, type ElementBatch, recordBatchToRows } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { vectorFromValues, makeRecordBatch } from "../../../../sdk/columns";
import { encodeKeys, utf8Keys } from "../../../../runners/direct/data/keys";
import type { LiftedCombine } from "../../../../runners/direct/precombine/lifted-combine";
import { PartialTable, type BatchKeys } from "../../../../runners/direct/precombine/partial-table";
import { PreCombiner } from "../../../../runners/direct/precombine/pre-combiner";
import { splitPartialRows } from "../../../../runners/direct/precombine/partial-rows";
import { utf8KeyGroupAt } from "../../../../runners/direct/parallel/exchange";
import { keyGroupOf } from "../../../../runners/direct/data/key-groups";
import { EXCHANGE_OUT_URN } from "../../../../runners/direct/parallel/layout";
import { tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { countAndMean, liftable, recurringKeys, windowedCounts, wordCounts } from "./lift-pipelines";

/** Rows the exchanges folded into others before sending them (counted for the combines they feed, never under an internal name). */
/** A batch folded alone into a partial table and flushed: its partial rows, or null when refused. */
function foldAlone(batch: ElementBatch, keys: BatchKeys, lift: LiftedCombine): ElementBatch | null {
  const table = new PartialTable(lift);
  return table.fold(batch, keys) === null ? null : table.flush();
}

function preCombined(counters: Map<string, Map<string, number>>): number {
  let n = 0;
  for (const [name, cs] of counters) {
    expect(name.startsWith(EXCHANGE_OUT_URN)).toBe(false);
    n += cs.get("preCombinedRows") ?? 0;
  }
  return n;
}

describe("combining before the hash exchange", () => {
  test("sum, min and max per key: the same output on 1 and 2 threads, with fewer rows exchanged", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(liftable, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(liftable, { output: path.join(dir, "p2") }));
    const one = outputLines(dir, "p1");
    expect(one.length).toBe(37);
    expect(outputLines(dir, "p2")).toEqual(one);
    expect(preCombined(two.metrics.counters)).toBeGreaterThan(30_000 * 0.9);
  });

  test("partial rows are held across batches: a key recurring in every batch crosses the threads once per thread", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(recurringKeys, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(recurringKeys, { output: path.join(dir, "p2") }));
    expect(outputLines(dir, "p2")).toEqual(outputLines(dir, "p1"));
    expect(outputLines(dir, "p1")).toHaveLength(50);
    // 40 batches of 500 rows over 50 keys: sent per batch, 2,000 partial rows would cross; held until
    // the end of input, each thread sends its 50 once.
    expect(preCombined(two.metrics.counters)).toBe(20_000 - 2 * 50);
  });

  test("a count and a mean are pre-combined with each row's input rows: the same output on 1 and 2 threads", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(countAndMean, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(countAndMean, { output: path.join(dir, "p2") }));
    expect(preCombined(two.metrics.counters)).toBeGreaterThan(30_000 * 0.9);
    const one = outputLines(dir, "p1");
    const rows = outputLines(dir, "p2").map((l) => JSON.parse(l) as { k: number; n: number; total: number; avg: number });
    expect(rows.reduce((a, r) => a + r.n, 0)).toBe(30_000);
    // Partial sums may round differently from sums of the inputs: compare to a few ulps.
    const expected = one.map((l) => JSON.parse(l) as { k: number; n: number; total: number; avg: number });
    expect(rows.map((r) => [r.k, r.n])).toEqual(expected.map((r) => [r.k, r.n]));
    rows.forEach((r, i) => {
      expect(r.total).toBeCloseTo(expected[i].total, 6);
      expect(r.avg).toBeCloseTo(expected[i].avg, 9);
    });
  });

  test("countPerElement is pre-combined and counts every element", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(wordCounts, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(wordCounts, { output: path.join(dir, "p2") }));
    expect(preCombined(two.metrics.counters)).toBeGreaterThan(20_000 * 0.9);
    expect(outputLines(dir, "p2")).toEqual(outputLines(dir, "p1"));
  });

  test("fixed windows are pre-combined per key and window: the same panes on 1 and 2 threads", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(windowedCounts, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(windowedCounts, { output: path.join(dir, "p2") }));
    expect(preCombined(two.metrics.counters)).toBeGreaterThan(30_000 * 0.5);
    const key = (l: string) => {
      const r = JSON.parse(l) as { start: number; k: number; n: number; total: number };
      return `${r.start}/${r.k}/${r.n}/${r.total.toFixed(6)}`;
    };
    const one = outputLines(dir, "p1").map(key).sort();
    expect(one.length).toBeGreaterThan(37 * 30);
    expect(outputLines(dir, "p2").map(key).sort()).toEqual(one);
  });

  test("rows fold by key and window, each partial row in its rows' window", () => {
    const schema = new arrow.Schema([new arrow.Field("k", new arrow.Int32(), true), new arrow.Field("v", new arrow.Float64(), true)]);
    const data = makeRecordBatch(schema, [
      vectorFromValues([1, 1, 2, 1, 1], schema.fields[0].type, "t").data[0],
      vectorFromValues([1, 2, 3, 4, 5], schema.fields[1].type, "t").data[0],
    ], 5);
    const batch = {
      data,
      timestamps: Float64Array.from([1, 2, 3, 1500, 1600]),
      windows: { kind: "interval" as const, start: Float64Array.from([0, 0, 0, 1000, 1000]), end: Float64Array.from([1000, 1000, 1000, 2000, 2000]) },
    };
    const out = foldAlone(batch, [1, 1, 2, 1, 1], { fields: [null, "v"], kinds: ["count", "sum"], keyFields: ["k"] })!;
    const { data: rows, partialRows } = splitPartialRows(out.data);
    expect(recordBatchToRows(rows)).toEqual([{ k: 1, v: 3 }, { k: 2, v: 3 }, { k: 1, v: 9 }]);
    expect([...partialRows!]).toEqual([2, 1, 2]);
    expect(out.windows).toEqual({ kind: "interval", start: Float64Array.from([0, 0, 1000]), end: Float64Array.from([1000, 1000, 2000]) });
    // Keys far apart, the same grouping.
    const wide = makeRecordBatch(schema, [
      vectorFromValues([1, 1, 2e9, 1, 1], schema.fields[0].type, "t").data[0],
      vectorFromValues([1, 2, 3, 4, 5], schema.fields[1].type, "t").data[0],
    ], 5);
    const outWide = foldAlone({ ...batch, data: wide }, [1, 1, 2e9, 1, 1], { fields: [null, "v"], kinds: ["count", "sum"], keyFields: ["k"] })!;
    expect(recordBatchToRows(splitPartialRows(outWide.data).data)).toEqual([{ k: 1, v: 3 }, { k: 2e9, v: 3 }, { k: 1, v: 9 }]);
    expect(outWide.windows).toEqual(out.windows);
    // Numbered by their starts' distance in steps of the window size: the same groups, gaps between windows included.
    const gappy = { ...batch, windows: { kind: "interval" as const, start: Float64Array.from([2000, 0, 2000, 0, 0]), end: Float64Array.from([3000, 1000, 3000, 1000, 1000]) } };
    const lifted = { fields: [null, "v"], kinds: ["count", "sum"] as ("count" | "sum")[], keyFields: ["k"] };
    const byStep = foldAlone(gappy, [1, 1, 2, 1, 1], { ...lifted, windowStep: 1000 })!;
    const byBounds = foldAlone(gappy, [1, 1, 2, 1, 1], lifted)!;
    expect(recordBatchToRows(byStep.data)).toEqual(recordBatchToRows(byBounds.data));
    expect(byStep.windows).toEqual(byBounds.windows);
    const split = splitPartialRows(byStep.data);
    expect(recordBatchToRows(split.data)).toEqual([{ k: 1, v: 1 }, { k: 1, v: 11 }, { k: 2, v: 3 }]);
    expect([...split.partialRows!]).toEqual([1, 3, 1]);
    expect([...byStep.windows.kind === "interval" ? byStep.windows.start : []]).toEqual([2000, 0, 2000]);
  });

  test("partial rows carry their input rows per row, which the receiver takes off again", () => {
    const schema = new arrow.Schema([new arrow.Field("k", new arrow.Utf8(), true), new arrow.Field("v", new arrow.Float64(), true)]);
    const b = globalBatch(makeRecordBatch(schema, [
      vectorFromValues(["a", "b", "a", "a"], schema.fields[0].type, "t").data[0],
      vectorFromValues([1, 2, 3, 4], schema.fields[1].type, "t").data[0],
    ], 4));
    const out = foldAlone(b, ["a", "b", "a", "a"], { fields: [null, "v"], kinds: ["count", "mean"] })!;
    const { data, partialRows } = splitPartialRows(out.data);
    expect([...partialRows!]).toEqual([3, 1]);
    expect(data.schema.fields.map((f) => f.name)).toEqual(["k", "v"]);
    expect(recordBatchToRows(data)).toEqual([{ k: "a", v: 8 }, { k: "b", v: 2 }]);
    expect(splitPartialRows(b.data)).toEqual({ data: b.data, partialRows: null });
  });

  test("the pre-combiner keeps each key's first row elsewhere, sends batches with nulls as they are, and backs off after one of few repeats", () => {
    const schema = new arrow.Schema([
      new arrow.Field("k", new arrow.Utf8(), true),
      new arrow.Field("note", new arrow.Utf8(), true),
      new arrow.Field("v", new arrow.Float64(), true),
      new arrow.Field("w", new arrow.Float64(), true),
    ]);
    const batchOf = (k: string[], note: string[], v: (number | null)[], w: number[]) =>
      globalBatch(makeRecordBatch(schema, [
        vectorFromValues(k, schema.fields[0].type, "t").data[0],
        vectorFromValues(note, schema.fields[1].type, "t").data[0],
        vectorFromValues(v, schema.fields[2].type, "t").data[0],
        vectorFromValues(w, schema.fields[3].type, "t").data[0],
      ], k.length));
    const lift = { fields: ["v", "w"], kinds: ["sum", "max"] as ("sum" | "max")[] };
    const b = batchOf(["a", "b", "a", "a", "b", "c"], ["1", "2", "3", "4", "5", "6"], [1, 2, 3, 4, 5, 6], [9, -1, 2, 10, -3, 0]);
    const pre = new PreCombiner(lift);
    // Six rows, three groups: three rows folded into others.
    expect(pre.apply(b, encodeKeys([b.data.getChild("k")!], 6))).toBe(3);
    expect(pre.apply(batchOf(["a", "a"], ["1", "2"], [1, null], [1, 2]), ["a", "a"])).toBeNull();
    expect(recordBatchToRows(splitPartialRows(pre.table.flush()!.data).data)).toEqual([
      { k: "a", note: "1", v: 8, w: 10 },
      { k: "b", note: "2", v: 7, w: -1 },
      { k: "c", note: "6", v: 6, w: 0 },
    ]);
    // A batch of keys all new folds, but does not pay: the next 16 batches go out as they are.
    const fresh = new PreCombiner(lift);
    const distinct = batchOf(["a", "b", "c"], ["1", "2", "3"], [1, 2, 3], [1, 2, 3]);
    expect(fresh.apply(distinct, ["a", "b", "c"])).toBe(0);
    for (let i = 0; i < 16; i++) expect(fresh.apply(b, encodeKeys([b.data.getChild("k")!], 6))).toBeNull();
    expect(fresh.table.size).toBe(3);
    expect(fresh.apply(b, encodeKeys([b.data.getChild("k")!], 6))).toBe(6);
  });

  test("partial rows of a utf8 key go to the key groups of their strings", () => {
    const words = ["a", "", "straße", "b", "a", "日本", "b", "a", "x\u{1F600}", "", "straße", "日本", "x\u{1F600}"];
    const schema = new arrow.Schema([new arrow.Field("k", new arrow.Utf8(), true), new arrow.Field("v", new arrow.Float64(), true)]);
    const b = globalBatch(makeRecordBatch(schema, [
      vectorFromValues(words, schema.fields[0].type, "t").data[0],
      vectorFromValues(words.map((_, i) => i), schema.fields[1].type, "t").data[0],
    ], words.length));
    const notMade = () => { throw new Error("utf8 keys are read from their column"); };
    const out = foldAlone(b, notMade, { fields: [null], kinds: ["count"], keyFields: ["k"] })!;
    const distinct = [...new Set(words)];
    const keys = utf8Keys([out.data.getChild("k")!], out.data.numRows)!;
    expect(keys.length).toBe(distinct.length);
    expect(distinct.map((_, i) => utf8KeyGroupAt(keys, i))).toEqual(distinct.map((w) => keyGroupOf(w)));
    for (const w of ["wordcount", "Zebra-42", "ü", "\u007f"]) {
      const one = globalBatch(makeRecordBatch(schema, [vectorFromValues([w, w], schema.fields[0].type, "t").data[0], vectorFromValues([1, 2], schema.fields[1].type, "t").data[0]], 2));
      const two = foldAlone(one, notMade, { fields: [null], kinds: ["count"], keyFields: ["k"] })!;
      expect(utf8KeyGroupAt(utf8Keys([two.data.getChild("k")!], 1)!, 0)).toBe(keyGroupOf(w));
    }
  });

  test("int32 keys are folded straight from their column, narrow and wide ranges alike", () => {
    const schema = new arrow.Schema([new arrow.Field("k", new arrow.Int32(), true), new arrow.Field("v", new arrow.Float64(), true)]);
    const sums = (keys: number[]) => {
      const b = globalBatch(makeRecordBatch(schema, [
        arrow.makeData({ type: new arrow.Int32(), length: keys.length, nullCount: 0, data: Int32Array.from(keys) }),
        arrow.makeData({ type: new arrow.Float64(), length: keys.length, nullCount: 0, data: Float64Array.from(keys, (_, i) => i) }),
      ], keys.length));
      const out = foldAlone(b, () => { throw new Error("int32 keys are read from their column"); }, { fields: ["v"], kinds: ["sum"], keyFields: ["k"] });
      return out && { rows: recordBatchToRows(splitPartialRows(out.data).data), partial: [...splitPartialRows(out.data).partialRows!] };
    };
    const expected = (keys: number[]) => {
      const m = new Map<number, number>();
      keys.forEach((k, i) => m.set(k, (m.get(k) ?? 0) + i));
      return [...m].map(([k, v]) => ({ k, v }));
    };
    // A narrow range, negative keys included: in order of first appearance.
    const narrow = [-3, 5, -3, 0, 5, 5, -3, 2, 0, 5];
    expect(sums(narrow)).toEqual({ rows: expected(narrow), partial: [3, 4, 2, 1] });
    // The extremes of int32.
    const wide = [2147483647, -2147483648, 7, 2147483647, 7, -2147483648, 7, 7];
    expect(sums(wide)).toEqual({ rows: expected(wide), partial: [2, 2, 4] });
  });
});
