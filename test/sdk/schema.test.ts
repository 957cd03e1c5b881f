import * as arrow from "apache-arrow";
import { describeSchema, inferSchema, scalarSchema, schema, SchemaError, t } from "beamline";
import { isScalarSchema, schemaFromJson, schemasEqual, schemaToJson } from "../../sdk/schema";

/** Runs `f`, expects a SchemaError, and returns it. */
function schemaError(f: () => unknown): SchemaError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError);
    return err as SchemaError;
  }
  throw new Error("expected a SchemaError");
}

describe("t and schema()", () => {
  it("maps field types to Arrow types, all fields nullable, in key order", () => {
    const s = schema({
      s: t.string(), f64: t.float64(), f32: t.float32(), i32: t.int32(), i64: t.int64(), b: t.bool(),
      ts: t.timestamp(), bin: t.binary(), l: t.list(t.int32()), st: t.struct({ a: t.string(), n: t.list(t.float64()) }),
    });
    const f = s.arrow.fields;
    expect(f.map((x) => x.name)).toEqual(["s", "f64", "f32", "i32", "i64", "b", "ts", "bin", "l", "st"]);
    expect(f.every((x) => x.nullable)).toBe(true);
    expect(f[0].type).toBeInstanceOf(arrow.Utf8);
    expect(arrow.util.compareTypes(f[1].type, new arrow.Float64())).toBe(true);
    expect(arrow.util.compareTypes(f[2].type, new arrow.Float32())).toBe(true);
    expect(arrow.util.compareTypes(f[3].type, new arrow.Int32())).toBe(true);
    expect(arrow.util.compareTypes(f[4].type, new arrow.Int64())).toBe(true);
    expect(f[5].type).toBeInstanceOf(arrow.Bool);
    expect(arrow.util.compareTypes(f[6].type, new arrow.TimestampMillisecond())).toBe(true);
    expect(f[7].type).toBeInstanceOf(arrow.Binary);
    expect(describeSchema(s.arrow)).toBe(
      "{s: string, f64: float64, f32: float32, i32: int32, i64: int64, b: bool, ts: timestamp, bin: binary, l: list<int32>, st: {a: string, n: list<float64>}}",
    );
    expect(isScalarSchema(s.arrow)).toBe(false);
  });

  it("scalarSchema has one field named value and the beamline:scalar metadata", () => {
    const s = scalarSchema(t.float64());
    expect(s.arrow.fields.map((f) => f.name)).toEqual(["value"]);
    expect(s.arrow.metadata.get("beamline:scalar")).toBe("true");
    expect(isScalarSchema(s.arrow)).toBe(true);
    expect(describeSchema(s.arrow)).toBe("float64 (bare values)");
  });

  it("rejects something that is not a field type, naming the field and the fix", () => {
    const err = schemaError(() => schema({ x: "string" as unknown as ReturnType<typeof t.string> }));
    expect(err.message).toContain('field "x"');
    expect(err.message).toContain('"string"');
    expect(err.message).toContain("t.string()");
  });
});

describe("inferSchema", () => {
  it("infers one field per key in first-seen order over all rows", () => {
    const s = inferSchema([{ b: 1, a: "x" }, { c: true }, { a: "y", d: 2n }], "Create");
    expect(describeSchema(s)).toBe("{b: float64, a: string, c: bool, d: int64}");
    expect(isScalarSchema(s)).toBe(false);
  });

  it("infers every kind, recursively", () => {
    const s = inferSchema([
      { n: 1, s: "a", b: false, big: 3n, d: new Date(0), bin: new Uint8Array([1]), buf: Buffer.from("x"),
        l: [1, 2], ls: [{ k: "a", v: [1.5] }], st: { x: { y: "deep" } } },
      { n: null, s: undefined, l: [], ls: [{ k: null, v: null }, { v: [2] }] },
    ], "Create");
    expect(describeSchema(s)).toBe(
      "{n: float64, s: string, b: bool, big: int64, d: timestamp, bin: binary, buf: binary, l: list<float64>, ls: list<{k: string, v: list<float64>}>, st: {x: {y: string}}}",
    );
  });

  it("infers a scalar schema for bare values, with nulls allowed", () => {
    for (const [values, desc] of [
      [[1, null, 2.5, NaN, Infinity], "float64"],
      [["a", undefined], "string"],
      [[true], "bool"],
      [[1n], "int64"],
      [[new Date()], "timestamp"],
      [[new Uint8Array(2)], "binary"],
      [[["a"], null, []], "list<string>"],
    ] as const) {
      const s = inferSchema(values as readonly unknown[], "Create");
      expect(isScalarSchema(s)).toBe(true);
      expect(describeSchema(s)).toBe(`${desc} (bare values)`);
    }
  });

  it("fails on no values, naming where and the fix", () => {
    const err = schemaError(() => inferSchema([], "Create(words)"));
    expect(err.code).toBe("BL_SCHEMA_INFERENCE");
    expect(err.message).toContain("Create(words)");
    expect(err.message).toContain("declare the schema, e.g. { schema: schema({ x: t.string() }) }");
  });

  it("fails on an all-null field, naming it", () => {
    const err = schemaError(() => inferSchema([{ a: 1, x: null }, { a: 2 }, { a: 3, x: undefined }], "Map(parse)"));
    expect(err.message).toContain("Map(parse)");
    expect(err.message).toContain('field "x"');
    expect(err.message).toContain("null or undefined");
    expect(err.message).toContain("{ schema: schema({ x: t.string() }) }");
  });

  it("fails on mixed kinds, naming the field, the first value of each kind and their rows", () => {
    const err = schemaError(() => inferSchema([{ x: 1 }, { x: 2 }, { x: "three" }], "Map(parse)"));
    expect(err.message).toContain('field "x"');
    expect(err.message).toContain("number (e.g. 1 at row 0)");
    expect(err.message).toContain('string (e.g. "three" at row 2)');
    expect(err.message).toContain("declare the schema, e.g. { schema: schema({ x: t.float64() }) }");
    expect(err.value).toEqual([1, "three"]);
  });

  it("fails on mixed kinds nested in lists and structs, naming the path", () => {
    const err = schemaError(() => inferSchema([{ items: [{ price: 1 }, { price: "2" }] }], "W"));
    expect(err.message).toContain('field "items[].price"');
    expect(err.message).toContain("schema({ items: t.list(t.struct({ price: t.float64() })) })");
    const err2 = schemaError(() => inferSchema([{ tags: [] }, { tags: null }], "W"));
    expect(err2.message).toContain('field "tags[]"');
    expect(err2.message).toContain("no values");
  });

  it("fails on scalars mixing kinds, and on objects mixed with scalars", () => {
    const err = schemaError(() => inferSchema([1, "a"], "Create"));
    expect(err.message).toContain("number (e.g. 1 at row 0)");
    expect(err.message).toContain("scalarSchema(t.float64())");
    const err2 = schemaError(() => inferSchema([{ a: 1 }, 5], "Create"));
    expect(err2.message).toContain("row 1");
    expect(err2.value).toBe(5);
    const err3 = schemaError(() => inferSchema([null, null], "Create"));
    expect(err3.message).toContain("null or undefined");
  });

  it("fails on values that have no Arrow type, and on empty objects", () => {
    const err = schemaError(() => inferSchema([{ m: new Map() }], "Create"));
    expect(err.message).toContain('field "m"');
    expect(err.message).toContain("Map");
    const err2 = schemaError(() => inferSchema([{}, {}], "Create"));
    expect(err2.message).toContain("empty object");
  });
});

describe("schema JSON, equality and description", () => {
  const s = schema({
    word: t.string(), n: t.int64(), when: t.timestamp(), tags: t.list(t.string()),
    nested: t.struct({ a: t.list(t.struct({ b: t.bool(), c: t.binary() })), f: t.float32(), i: t.int32() }),
  }).arrow;

  it("round-trips through JSON deterministically", () => {
    const j = schemaToJson(s);
    const text = JSON.stringify(j);
    const back = schemaFromJson(JSON.parse(text));
    expect(schemasEqual(s, back)).toBe(true);
    expect(JSON.stringify(schemaToJson(back))).toBe(text);
    expect(describeSchema(back)).toBe(describeSchema(s));
    expect(j.fields[0]).toEqual({ name: "word", type: { id: "utf8" }, nullable: true });
    expect(j.fields[2].type).toEqual({ id: "timestamp", unit: "ms", timezone: null });
  });

  it("keeps metadata, sorted by key, whatever the insertion order", () => {
    const a = new arrow.Schema(s.fields, new Map([["z", "1"], ["a", "2"]]));
    const b = new arrow.Schema(s.fields, new Map([["a", "2"], ["z", "1"]]));
    expect(JSON.stringify(schemaToJson(a))).toBe(JSON.stringify(schemaToJson(b)));
    expect(Object.keys(schemaToJson(a).metadata!)).toEqual(["a", "z"]);
    const scalar = scalarSchema(t.list(t.int64())).arrow;
    const back = schemaFromJson(JSON.parse(JSON.stringify(schemaToJson(scalar))));
    expect(isScalarSchema(back)).toBe(true);
    expect(schemasEqual(back, scalar)).toBe(true);
  });

  it("schemasEqual tells apart names, types, order, nested types and metadata", () => {
    const base = schema({ a: t.string(), b: t.float64() }).arrow;
    expect(schemasEqual(base, schema({ a: t.string(), b: t.float64() }).arrow)).toBe(true);
    expect(schemasEqual(base, schema({ a: t.string(), c: t.float64() }).arrow)).toBe(false);
    expect(schemasEqual(base, schema({ a: t.string(), b: t.int64() }).arrow)).toBe(false);
    expect(schemasEqual(base, schema({ b: t.float64(), a: t.string() }).arrow)).toBe(false);
    expect(schemasEqual(schema({ l: t.list(t.int32()) }).arrow, schema({ l: t.list(t.int64()) }).arrow)).toBe(false);
    expect(schemasEqual(scalarSchema(t.string()).arrow, schema({ value: t.string() }).arrow)).toBe(false);
  });

  it("refuses Arrow types Beamline does not support, with a fix", () => {
    const odd = new arrow.Schema([new arrow.Field("d", new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), true)]);
    const err = schemaError(() => schemaToJson(odd));
    expect(err.code).toBe("BL_SCHEMA_UNSUPPORTED_TYPE");
    expect(err.message).toContain("Dictionary");
    expect(err.message).toContain("t.string()");
  });

  it("describes field names that are not identifiers quoted", () => {
    expect(describeSchema(schema({ "first name": t.string() }).arrow)).toBe('{"first name": string}');
  });
});
