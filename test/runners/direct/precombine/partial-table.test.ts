import * as arrow from "apache-arrow";
import { type ElementBatch, recordBatchToRows } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { makeRecordBatch, vectorFromValues } from "../../../../sdk/columns";
import { encodeKeys } from "../../../../runners/direct/data/keys";
import type { LiftedCombine } from "../../../../runners/direct/precombine/lifted-combine";
import { splitPartialRows } from "../../../../runners/direct/precombine/partial-rows";
import { preCombine } from "../../../../runners/direct/precombine/pre-combine";
import { PartialTable } from "../../../../runners/direct/precombine/partial-table";

const schema = new arrow.Schema([
  new arrow.Field("k", new arrow.Utf8(), true),
  new arrow.Field("note", new arrow.Utf8(), true),
  new arrow.Field("v", new arrow.Float64(), true),
  new arrow.Field("w", new arrow.Float64(), true),
  new arrow.Field("x", new arrow.Float64(), true),
]);
const lift: LiftedCombine = { fields: [null, "v", "w", "x"], kinds: ["count", "sum", "min", "max"], keyFields: ["k"] };

function batch(rows: [string, string, number, number, number][], windows?: [number, number][]): ElementBatch {
  const cols = [0, 1, 2, 3, 4].map((c) => vectorFromValues(rows.map((r) => r[c]), schema.fields[c].type, "t").data[0]);
  const b = globalBatch(makeRecordBatch(schema, cols, rows.length));
  if (!windows) return b;
  return { ...b, windows: { kind: "interval", start: Float64Array.from(windows, (w) => w[0]), end: Float64Array.from(windows, (w) => w[1]) } };
}

function fold(table: PartialTable, b: ElementBatch): number {
  const pre = preCombine(b, () => encodeKeys([b.data.getChild("k")!], b.data.numRows), lift)!;
  expect(pre).not.toBeNull();
  return table.add(pre);
}

describe("partial rows held across batches", () => {
  test("folds each key's partial rows across batches, keeping its first row, until flushed", () => {
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
});
