import * as arrow from "apache-arrow";
import { type ElementBatch, recordBatchToRows } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { makeRecordBatch, vectorFromValues } from "../../../../sdk/columns";
import { encodeKeys } from "../../../../runners/direct/data/keys";
import type { LiftedCombine } from "../../../../runners/direct/precombine/lifted-combine";
import { splitPartialRows } from "../../../../runners/direct/precombine/partial-rows";
import { PartialTable } from "../../../../runners/direct/precombine/partial-table";

const schema = new arrow.Schema([
  new arrow.Field("k", new arrow.Utf8(), true),
  new arrow.Field("note", new arrow.Utf8(), true),
  new arrow.Field("v", new arrow.Float64(), true),
  new arrow.Field("w", new arrow.Float64(), true),
  new arrow.Field("x", new arrow.Float64(), true),
]);
const lift: LiftedCombine = { fields: [null, "v", "w", "x"], kinds: ["count", "sum", "min", "max"], keyFields: ["k"] };

type Row = [string | null, string, number, number, number];

function batch(rows: Row[], windows?: [number, number][]): ElementBatch {
  const cols = [0, 1, 2, 3, 4].map((c) => vectorFromValues(rows.map((r) => r[c]), schema.fields[c].type, "t").data[0]);
  const b = globalBatch(makeRecordBatch(schema, cols, rows.length));
  if (!windows) return b;
  return { ...b, windows: { kind: "interval", start: Float64Array.from(windows, (w) => w[0]), end: Float64Array.from(windows, (w) => w[1]) } };
}

/** Folds a batch's rows in, its keys made from its key column only when asked for. */
function fold(table: PartialTable, b: ElementBatch): number | null {
  return table.fold(b, () => encodeKeys([b.data.getChild("k")!], b.data.numRows));
}

/** A flush as rows, each with its window's start and its input rows. */
function flushed(table: PartialTable): Record<string, unknown>[] {
  const out = table.flush()!;
  const { data, partialRows } = splitPartialRows(out.data);
  return (recordBatchToRows(data) as Record<string, unknown>[]).map((r, i) => ({ ...r, rows: partialRows![i], ...(out.windows.kind === "interval" ? { start: out.windows.start[i] } : {}) }));
}

/**
 * The same fold computed row by row: per key and window in order of first appearance, the first
 * row's fields, the sum of v, the min of w, the max of x and the count.
 */
function expected(batches: { rows: Row[]; windows?: [number, number][] }[]): Record<string, unknown>[] {
  const groups = new Map<string, Record<string, unknown>>();
  for (const { rows, windows } of batches) {
    rows.forEach(([k, note, v, w, x], i) => {
      const id = `${windows ? windows[i].join(":") : ""}/${k}`;
      const g = groups.get(id);
      if (!g) groups.set(id, { k, note, v, w, x, rows: 1, ...(windows ? { start: windows[i][0] } : {}) });
      else Object.assign(g, { v: (g.v as number) + v, w: Math.min(g.w as number, w), x: Math.max(g.x as number, x), rows: (g.rows as number) + 1 });
    });
  }
  return [...groups.values()];
}

describe("partial rows held across batches", () => {
  test("folds each key's rows across batches, keeping its first row, until flushed", () => {
    const table = new PartialTable(lift);
    expect(table.flush()).toBeNull();
    expect(fold(table, batch([["a", "1", 1, 5, 5], ["b", "2", 2, 6, 6], ["a", "3", 3, 1, 9]]))).toBe(2);
    expect(fold(table, batch([["b", "4", 10, -1, 0], ["c", "5", 7, 7, 7], ["b", "6", 1, 2, 3], ["c", "7", 1, 1, 1]]))).toBe(1);
    expect(table.size).toBe(3);
    const out = table.flush()!;
    const { data, partialRows } = splitPartialRows(out.data);
    expect(recordBatchToRows(data)).toEqual([
      { k: "a", note: "1", v: 4, w: 1, x: 9 },
      { k: "b", note: "2", v: 13, w: -1, x: 6 },
      { k: "c", note: "5", v: 8, w: 1, x: 7 },
    ]);
    expect([...partialRows!]).toEqual([2, 3, 2]);
    expect(out.windows.kind).toBe("global");
    // A flush empties the table: the next key starts a new group.
    expect(table.size).toBe(0);
    expect(table.flush()).toBeNull();
    expect(fold(table, batch([["a", "8", 1, 1, 1], ["a", "9", 1, 1, 1]]))).toBe(1);
    expect(recordBatchToRows(splitPartialRows(table.flush()!.data).data)).toEqual([{ k: "a", note: "8", v: 2, w: 1, x: 1 }]);
  });

  test("one key in two windows is two groups, each in its window", () => {
    const table = new PartialTable(lift);
    fold(table, batch([["a", "1", 1, 1, 1], ["a", "2", 2, 2, 2], ["a", "3", 4, 4, 4]], [[0, 10], [0, 10], [10, 20]]));
    fold(table, batch([["a", "4", 8, 8, 8], ["a", "5", 16, 16, 16], ["a", "6", 32, 32, 32]], [[10, 20], [0, 10], [10, 20]]));
    const out = table.flush()!;
    const { data, partialRows } = splitPartialRows(out.data);
    expect((recordBatchToRows(data) as { k: string; v: number }[]).map((r) => [r.k, r.v])).toEqual([["a", 19], ["a", 44]]);
    expect([...partialRows!]).toEqual([3, 3]);
    expect(out.windows).toEqual({ kind: "interval", start: Float64Array.from([0, 10]), end: Float64Array.from([10, 20]) });
  });

  test("raw batches fold to what a row-by-row fold gives: null keys, keys by bytes and by value, windows numbered by step and by bounds", () => {
    const a: Row[] = [["x", "1", 1, 4, 4], [null, "2", 2, 3, 3], ["x", "3", 3, 9, 1], ["yy", "4", 4, 1, 8], [null, "5", 5, 7, 2], ["straße", "6", 6, 6, 6]];
    const b: Row[] = [["yy", "7", 7, 0, 9], ["x", "8", 8, 5, 5], ["zzz", "9", 9, 2, 2], [null, "10", 10, 8, 0], ["straße", "11", 11, 1, 7]];
    const c: Row[] = [["x", "12", 12, 3, 3], ["zzz", "13", 13, 3, 3], ["x", "14", 14, 3, 3]];
    // b has null keys (made into keys by value), a and c are looked up by their bytes; a key recurs across all three.
    const global = new PartialTable(lift);
    for (const rows of [c, a, b, c]) expect(fold(global, batch(rows))).not.toBeNull();
    expect(flushed(global)).toEqual(expected([{ rows: c }, { rows: a }, { rows: b }, { rows: c }]));
    // Windows of 10 with gaps between those a batch holds; the same windows numbered by step and by bounds.
    const wa: [number, number][] = [[0, 10], [0, 10], [30, 40], [0, 10], [30, 40], [30, 40]];
    const wb: [number, number][] = [[30, 40], [50, 60], [0, 10], [50, 60], [30, 40]];
    const wc: [number, number][] = [[0, 10], [0, 10], [50, 60]];
    const windowed = [{ rows: a, windows: wa }, { rows: b, windows: wb }, { rows: c, windows: wc }];
    for (const step of [10, undefined]) {
      const table = new PartialTable({ ...lift, ...(step ? { windowStep: step } : {}) });
      for (const w of windowed) expect(fold(table, batch(w.rows, w.windows))).not.toBeNull();
      expect(flushed(table)).toEqual(expected(windowed));
    }
  });

  test("int32 keys fold to the same groups whether a batch's keys are indexed directly (a narrow range) or looked up (a wide one), across flushes", () => {
    const intSchema = new arrow.Schema([new arrow.Field("k", new arrow.Int32(), false), new arrow.Field("v", new arrow.Float64(), false)]);
    const intLift: LiftedCombine = { fields: [null, "v"], kinds: ["count", "sum"], keyFields: ["k"], windowStep: 10 };
    const intBatch = (keys: number[], starts: number[]): ElementBatch => ({
      ...globalBatch(makeRecordBatch(intSchema, [
        arrow.makeData({ type: new arrow.Int32(), length: keys.length, nullCount: 0, data: Int32Array.from(keys) }),
        arrow.makeData({ type: new arrow.Float64(), length: keys.length, nullCount: 0, data: Float64Array.from(keys, (_, i) => i + 1) }),
      ], keys.length)),
      windows: { kind: "interval", start: Float64Array.from(starts), end: Float64Array.from(starts, (s) => s + 10) },
    });
    const rowByRow = (batches: [number[], number[]][]) => {
      const groups = new Map<string, { k: number; v: number; rows: number; start: number }>();
      for (const [keys, starts] of batches) {
        keys.forEach((k, i) => {
          const g = groups.get(`${starts[i]}/${k}`);
          if (g) Object.assign(g, { v: g.v + i + 1, rows: g.rows + 1 });
          else groups.set(`${starts[i]}/${k}`, { k, v: i + 1, rows: 1, start: starts[i] });
        });
      }
      return [...groups.values()];
    };
    const narrow: [number[], number[]] = [[3, 4, 3, 3, 4, 5, 3, 4], [0, 0, 10, 0, 10, 0, 0, 0]];
    const wide: [number[], number[]] = [[4, 2e9, 3, -2e9, 2e9], [0, 0, 10, 10, 0]];
    const again: [number[], number[]] = [[5, 4, 3, 5], [10, 0, 10, 0]];
    const later: [number[], number[]] = [[4, 4, 3, 4, 9], [30, 30, 30, 40, 30]];
    const table = new PartialTable(intLift);
    const notMade = () => { throw new Error("int32 keys are read from their column"); };
    for (const [keys, starts] of [narrow, wide, again]) expect(table.fold(intBatch(keys, starts), notMade)).not.toBeNull();
    expect(flushed(table)).toEqual(rowByRow([narrow, wide, again]));
    // After a flush the windows' tables serve other windows, emptied: nothing of the last flush remains.
    for (const [keys, starts] of [later, wide, later]) table.fold(intBatch(keys, starts), notMade);
    expect(flushed(table)).toEqual(rowByRow([later, wide, later]));
  });

  test("a batch whose folded field has nulls, or whose rows span too many windows, is refused and leaves the table as it was", () => {
    const table = new PartialTable(lift);
    expect(fold(table, batch([["a", "1", 1, 1, 1], ["b", "2", 2, 2, 2]]))).toBe(2);
    const withNull = batch([["a", "3", 1, 1, 1], ["c", "4", 2, 2, 2]]);
    const v = withNull.data.getChild("v")!;
    const nulls = makeRecordBatch(schema, withNull.data.data.children.map((d, i) => (i === 2 ? vectorFromValues([1, null], v.type, "t").data[0] : d)), 2);
    expect(fold(table, { ...withNull, data: nulls })).toBeNull();
    const spread: Row[] = Array.from({ length: 65 }, (_, i) => ["c", `${i}`, i, i, i]);
    expect(fold(table, batch(spread, spread.map((_, i) => [10 * i, 10 * i + 10])))).toBeNull();
    expect(table.size).toBe(2);
    expect(flushed(table)).toEqual(expected([{ rows: [["a", "1", 1, 1, 1], ["b", "2", 2, 2, 2]] }]));
  });
});
