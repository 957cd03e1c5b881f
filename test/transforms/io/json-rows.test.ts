/**
 * The Kafka sink's column-wise row JSON is the JSON `toJson` gives each row object: strings that need
 * escaping, integers, floats with NaN and infinities, large int64s, booleans, nulls, binary, nested
 * structs and lists, and scalar rows.
 */
import { recordBatchToRows, rowsToRecordBatch, scalarSchema, schema, t } from "beamline";
import { rowJson } from "../../../transforms/io/json-rows";
import { toJson } from "../../../transforms/io/to-json";

describe("rows as JSON, column by column", () => {
  test("equals toJson of each row, field by field in schema order", () => {
    const s = schema({
      name: t.string(), n: t.int32(), big: t.int64(), x: t.float64(), ok: t.bool(), raw: t.binary(),
      nested: t.struct({ a: t.string(), b: t.list(t.int32()) }), "odd \"key\"": t.string(),
    });
    const rows = [
      { name: 'quote " backslash \\ newline \n tab \t unicode é 日本 \u0001', n: -5, big: 9007199254740993n, x: NaN, ok: true, raw: new Uint8Array([0, 255, 7]), nested: { a: "z", b: [1, 2] }, "odd \"key\"": "v" },
      { name: null, n: null, big: 42n, x: Infinity, ok: false, raw: null, nested: null, "odd \"key\"": null },
      { name: "", n: 0, big: -1n, x: -0.5e-7, ok: null, raw: new Uint8Array(0), nested: { a: null, b: [] }, "odd \"key\"": "" },
      { name: "plain", n: 2147483647, big: 0n, x: 1e21, ok: true, raw: new Uint8Array([1]), nested: { a: "q", b: null }, "odd \"key\"": "w" },
    ];
    const batch = rowsToRecordBatch(rows, s.arrow, "test");
    const json = rowJson(batch);
    const expected = recordBatchToRows(batch).map((r) => toJson(r));
    expect(rows.map((_, i) => json(i))).toEqual(expected);
    expect(JSON.parse(json(0)).name).toBe(rows[0].name);
    expect(JSON.parse(json(1)).x).toBe("Infinity");
  });

  test("a scalar row is its bare value's JSON", () => {
    const batch = rowsToRecordBatch([1.5, NaN, null], scalarSchema(t.float64()).arrow, "test");
    const json = rowJson(batch);
    expect([0, 1, 2].map(json)).toEqual(["1.5", '"NaN"', "null"]);
  });
});
