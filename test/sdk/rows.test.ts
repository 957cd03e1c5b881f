import * as arrow from "apache-arrow";
import { describeSchema, FieldType, recordBatchToRows, rowsToRecordBatch, scalarSchema, schema, SchemaError, t } from "beamline";
import { rowAccessor } from "../../sdk/rows";

function schemaError(f: () => unknown): SchemaError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError);
    return err as SchemaError;
  }
  throw new Error("expected a SchemaError");
}

const roundTrip = (rows: unknown[], s: arrow.Schema) => recordBatchToRows(rowsToRecordBatch(rows, s, "test"));

const everything = schema({
  s: t.string(), f64: t.float64(), f32: t.float32(), i32: t.int32(), i64: t.int64(), b: t.bool(),
  ts: t.timestamp(), bin: t.binary(), l: t.list(t.float64()),
  ls: t.list(t.struct({ k: t.string(), v: t.list(t.int32()), inner: t.struct({ ok: t.bool() }) })),
  st: t.struct({ name: t.string(), tags: t.list(t.string()) }),
});

const fullRow = {
  s: "naïve 日本語 😀 \u0000 end", f64: -0.125, f32: 1.5, i32: -2147483648, i64: -9007199254740991, b: true,
  ts: 1_700_000_000_123, bin: new Uint8Array([0, 255, 7]), l: [1, NaN, -Infinity],
  ls: [{ k: "", v: [1, null, 3], inner: { ok: false } }, null, { k: null, v: null, inner: null }],
  st: { name: "日本語", tags: ["", "emoji 🎉", null] },
};
const nullRow = { s: null, f64: null, f32: null, i32: null, i64: null, b: null, ts: null, bin: null, l: null, ls: null, st: null };

describe("rowsToRecordBatch / recordBatchToRows", () => {
  it("round-trips every type exactly, including nested list<struct>, unicode, empty strings and nulls", () => {
    const rows = [fullRow, nullRow, { ...fullRow, s: "", l: [], ls: [], st: { name: null, tags: [] }, b: false }];
    const batch = rowsToRecordBatch(rows, everything.arrow, "test");
    expect(batch.numRows).toBe(3);
    expect(recordBatchToRows(batch)).toEqual(rows);
    const get = rowAccessor(batch);
    expect([0, 1, 2].map(get)).toEqual(rows);
  });

  it("gives lists as plain arrays, structs as plain objects and binary as an independent copy", () => {
    const batch = rowsToRecordBatch([fullRow], everything.arrow, "test");
    const [row] = recordBatchToRows(batch) as (typeof fullRow)[];
    expect(Array.isArray(row.l)).toBe(true);
    expect(Array.isArray(row.ls[0]!.v)).toBe(true);
    expect(Object.getPrototypeOf(row.st)).toBe(Object.prototype);
    expect(row.bin).toBeInstanceOf(Uint8Array);
    row.bin[0] = 42;
    expect((recordBatchToRows(batch)[0] as typeof fullRow).bin[0]).toBe(0);
    const get = rowAccessor(batch);
    expect(get(0)).not.toBe(get(0));
    expect(get(0)).toEqual(get(0));
  });

  it("keeps the schema object, metadata included", () => {
    const s = new arrow.Schema(everything.arrow.fields, new Map([["owner", "me"]]));
    const batch = rowsToRecordBatch([fullRow], s, "test");
    expect(batch.schema).toBe(s);
    expect(batch.schema.metadata.get("owner")).toBe("me");
  });

  it("turns missing fields and undefined into null", () => {
    const rows = roundTrip([{ s: "x" }, { f64: undefined }], everything.arrow);
    expect(rows).toEqual([{ ...nullRow, s: "x" }, nullRow]);
  });

  it("handles empty input", () => {
    const batch = rowsToRecordBatch([], everything.arrow, "test");
    expect(batch.numRows).toBe(0);
    expect(batch.numCols).toBe(11);
    expect(recordBatchToRows(batch)).toEqual([]);
    expect(recordBatchToRows(rowsToRecordBatch([], scalarSchema(t.string()).arrow, "test"))).toEqual([]);
  });

  it("round-trips 100k rows", () => {
    const n = 100_000;
    const rows = Array.from({ length: n }, (_, i) => ({
      word: i % 17 === 0 ? null : `w${i % 1000}${i % 3 === 0 ? "é日" : ""}`,
      count: i % 11 === 0 ? null : i * 0.25,
      id: i * 1_000_003,
      flag: i % 5 === 0 ? null : i % 2 === 0,
      at: 1_600_000_000_000 + i,
      tags: i % 7 === 0 ? null : [`t${i % 3}`],
    }));
    const s = schema({ word: t.string(), count: t.float64(), id: t.int64(), flag: t.bool(), at: t.timestamp(), tags: t.list(t.string()) });
    const batch = rowsToRecordBatch(rows, s.arrow, "test");
    expect(batch.numRows).toBe(n);
    expect(recordBatchToRows(batch)).toEqual(rows);
    const get = rowAccessor(batch);
    for (const i of [0, 1, 7, 17, 4999, n - 1]) expect(get(i)).toEqual(rows[i]);
  });

  it("reads int64 as a number, and as a bigint only beyond the safe range; accepts bigints", () => {
    const s = schema({ n: t.int64() }).arrow;
    const big = 2n ** 62n + 1n;
    const rows = roundTrip([
      { n: Number.MAX_SAFE_INTEGER }, { n: Number.MIN_SAFE_INTEGER }, { n: 0 }, { n: -1 }, { n: 4294967296 }, { n: -4294967297 },
      { n: big }, { n: -big }, { n: 5n }, { n: 2 ** 60 }, { n: -(2n ** 63n) }, { n: 2n ** 63n - 1n },
    ], s);
    expect(rows.map((r) => (r as { n: unknown }).n)).toEqual([
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, -1, 4294967296, -4294967297,
      big, -big, 5, 2n ** 60n, -(2n ** 63n), 2n ** 63n - 1n,
    ]);
  });

  it("writes timestamps from numbers and Dates and reads them as ms", () => {
    const s = schema({ at: t.timestamp() }).arrow;
    const rows = roundTrip([{ at: new Date("2024-02-29T12:34:56.789Z") }, { at: -86_400_000 }, { at: 0 }], s);
    expect(rows).toEqual([{ at: Date.parse("2024-02-29T12:34:56.789Z") }, { at: -86_400_000 }, { at: 0 }]);
  });

  it("round-trips bare values for scalar schemas of every type", () => {
    const cases: [FieldType, unknown[]][] = [
      [t.string(), ["a", null, "", "😀"]],
      [t.float64(), [1.5, null, NaN]],
      [t.float32(), [0.5, null]],
      [t.int32(), [7, null, -7]],
      [t.int64(), [1, null, 2n ** 60n]],
      [t.bool(), [true, false, null]],
      [t.timestamp(), [5, null]],
      [t.binary(), [new Uint8Array([1]), null, new Uint8Array()]],
      [t.list(t.struct({ a: t.int32() })), [[{ a: 1 }, null], null, []]],
      [t.struct({ a: t.string() }), [{ a: "x" }, null, { a: null }]],
    ];
    for (const [type, values] of cases) {
      const s = scalarSchema(type).arrow;
      const batch = rowsToRecordBatch(values, s, "test");
      expect(batch.schema).toBe(s);
      expect(recordBatchToRows(batch)).toEqual(values);
      expect(values.map((_, i) => rowAccessor(batch)(i))).toEqual(values);
    }
  });

  it("reads batches made by Arrow itself and sliced batches (non-zero offsets)", () => {
    const table = arrow.tableFromArrays({
      s: ["a", "bé", null, "d", "e", "f", "g", "h", "i", "j"],
      b: [true, false, null, true, true, false, true, false, true, null],
      n: new Float64Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    });
    const batch = table.batches[0];
    const all = recordBatchToRows(batch);
    expect(all[1]).toEqual({ s: "bé", b: false, n: 1 });
    expect(all[2]).toEqual({ s: null, b: null, n: 2 });
    const sliced = batch.slice(3, 9);
    expect(recordBatchToRows(sliced)).toEqual(all.slice(3, 9));
    const mine = rowsToRecordBatch(all, batch.schema, "test").slice(1, 10);
    expect(recordBatchToRows(mine)).toEqual(all.slice(1, 10));
    expect([0, 1, 8].map(rowAccessor(mine))).toEqual([all[1], all[2], all[9]]);
  });

  it("reads int64, timestamp and nested columns that Arrow built with vectorFromArray", () => {
    const ints = arrow.vectorFromArray([1n, null, -(2n ** 60n)], new arrow.Int64());
    const times = arrow.vectorFromArray([new Date(1000), null], new arrow.TimestampMillisecond());
    expect(recordBatchToRows(new arrow.RecordBatch({ v: ints.data[0] }))).toEqual([{ v: 1 }, { v: null }, { v: -(2n ** 60n) }]);
    expect(recordBatchToRows(new arrow.RecordBatch({ v: times.data[0] }))).toEqual([{ v: 1000 }, { v: null }]);
    const col = arrow.vectorFromArray([{ a: 1, b: ["x"] }, null, { a: 2, b: [] }],
      new arrow.Struct([new arrow.Field("a", new arrow.Int32(), true), new arrow.Field("b", new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)), true)]));
    const batch = new arrow.RecordBatch({ col: col.data[0] });
    expect(recordBatchToRows(batch)).toEqual([{ col: { a: 1, b: ["x"] } }, { col: null }, { col: { a: 2, b: [] } }]);
  });
});

describe("rowsToRecordBatch errors", () => {
  const s = schema({ word: t.string(), count: t.float64(), n: t.int32(), big: t.int64(), ok: t.bool() }).arrow;
  const desc = describeSchema(s);

  function expectMessage(err: SchemaError, parts: string[]) {
    expect(err.code).toMatch(/^BL_SCHEMA_/);
    for (const p of parts) expect(err.message).toContain(p);
    expect(err.fix).toBeTruthy();
  }

  it("rejects a string in a float64 field, naming where, row, field, value, schema and fix", () => {
    const err = schemaError(() => rowsToRecordBatch([{ count: 1 }, { word: "a", count: "12" }], s, 'Map("parse")'));
    expectMessage(err, ['Map("parse")', "row 1", 'field "count"', '"12"', "expected float64, got a string", desc, 'declare field "count" as t.string()']);
    expect(err.value).toBe("12");
  });

  it("rejects a non-string in a utf8 field with a fix that converts", () => {
    const err = schemaError(() => rowsToRecordBatch([{ word: 5 }], s, "W"));
    expectMessage(err, ["row 0", 'field "word"', "5", "expected string, got a number", "String(...)"]);
  });

  it("rejects non-integers and out-of-range values in int32 and int64", () => {
    expectMessage(schemaError(() => rowsToRecordBatch([{ n: 1.5 }], s, "W")), ['field "n"', "1.5", "expected int32, got a non-integer number", "Math.round", "t.float64()"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{}, {}, { n: 2 ** 31 }], s, "W")), ["row 2", 'field "n"', "2147483648", "outside", "t.int64()"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ big: 0.5 }], s, "W")), ['field "big"', "expected int64, got a non-integer number"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ big: NaN }], s, "W")), ['field "big"', "NaN"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ big: 2n ** 63n }], s, "W")), ['field "big"', "9223372036854775808n", "outside"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ big: 1e19 }], s, "W")), ['field "big"', "outside"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ big: "7" }], s, "W")), ['field "big"', "expected int64, got a string"]);
  });

  it("rejects wrong kinds for bool, timestamp, binary, list and struct", () => {
    const all = everything.arrow;
    expectMessage(schemaError(() => rowsToRecordBatch([{ b: 1 }], all, "W")), ['field "b"', "expected bool, got a number", "t.float64()"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ ts: "2024-01-01" }], all, "W")), ['field "ts"', "expected timestamp, got a string"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ ts: new Date("nope") }], all, "W")), ['field "ts"', "invalid Date", "valid Date"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ ts: 1.5 }], all, "W")), ['field "ts"', "non-integer"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ bin: [1, 2] }], all, "W")), ['field "bin"', "expected binary, got an array"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ l: 3 }], all, "W")), ['field "l"', "expected list<float64>, got a number"]);
    expectMessage(schemaError(() => rowsToRecordBatch([{ st: "x" }], all, "W")), ['field "st"', "expected {name: string, tags: list<string>}, got a string"]);
  });

  it("names the top-level row and the nested path for a bad value deep in list<struct>", () => {
    const rows = [fullRow, fullRow, { ls: [{ k: "a" }, { k: "b", v: [1, "two"] }] }];
    const err = schemaError(() => rowsToRecordBatch(rows, everything.arrow, "W"));
    expectMessage(err, ["row 2", 'field "ls[].v[]"', '"two"', "expected int32, got a string"]);
    const err2 = schemaError(() => rowsToRecordBatch([fullRow, { ls: [null, { inner: { ok: "yes" } }] }], everything.arrow, "W"));
    expectMessage(err2, ["row 1", 'field "ls[].inner.ok"', '"yes"', "expected bool"]);
  });

  it("rejects a field that is not in the schema, also inside structs", () => {
    const err = schemaError(() => rowsToRecordBatch([{ word: "a" }, { word: "b", cnt: 3 }], s, "W"));
    expect(err.code).toBe("BL_SCHEMA_UNKNOWN_FIELD");
    expectMessage(err, ["row 1", 'field "cnt"', desc, 'add "cnt" to the schema (e.g. cnt: t.float64()), or drop it']);
    const err2 = schemaError(() => rowsToRecordBatch([{ st: { name: "x", extra: true } }], everything.arrow, "W"));
    expectMessage(err2, ["row 0", 'field "st"', '"extra"', "t.bool()"]);
    // undefined-valued extras are as good as absent
    expect(rowsToRecordBatch([{ word: "a", cnt: undefined }], s, "W").numRows).toBe(1);
  });

  it("rejects rows that are not objects for an object schema", () => {
    for (const bad of [null, undefined, 5, "x", [1], new Date(0)]) {
      const err = schemaError(() => rowsToRecordBatch([{ word: "ok" }, bad], s, "W"));
      expectMessage(err, ["W:", "row 1 must be an object", desc, "scalarSchema("]);
    }
  });

  it("rejects a wrong bare value for a scalar schema", () => {
    const err = schemaError(() => rowsToRecordBatch(["a", "b", 3], scalarSchema(t.string()).arrow, "W"));
    expectMessage(err, ["row 2", "3", "expected string, got a number", "string (bare values)"]);
  });
});
