import * as arrow from "apache-arrow";
import { BeamlineError, FieldType, recordBatchToRows, rowsToRecordBatch, scalarSchema, schema, SchemaError, t } from "beamline";
import {
  concatRecordBatches,
  decodeUtf8,
  emptyRecordBatch,
  filterRecordBatch,
  keepsStrings,
  recordBatchFromColumns,
  takeRecordBatch,
  takeVector,
  utf8Values,
  valueReader,
  vectorFromValues,
} from "../../sdk/columns";
import { rng } from "../helpers";


const WORDS = ["", "a", "naïve", "日本語", "emoji 😀🎉", "a much longer string that goes past the short-copy path of take", "x\u0000y"];

const s = schema({
  s: t.string(), f64: t.float64(), f32: t.float32(), i32: t.int32(), i64: t.int64(), b: t.bool(), ts: t.timestamp(),
  bin: t.binary(), l: t.list(t.string()), ls: t.list(t.struct({ k: t.string(), v: t.list(t.int32()) })),
  st: t.struct({ n: t.float64(), inner: t.struct({ ok: t.bool() }) }),
});

/** Random rows with nulls everywhere (roughly one value in five). */
function randomRows(n: number, seed: number): Record<string, unknown>[] {
  const r = rng(seed);
  const maybe = <T>(f: () => T): T | null => (r() < 0.2 ? null : f());
  const pick = () => WORDS[Math.floor(r() * WORDS.length)];
  return Array.from({ length: n }, () => ({
    s: maybe(pick),
    f64: maybe(() => (r() - 0.5) * 1e6),
    f32: maybe(() => Math.floor(r() * 1000) / 4),
    i32: maybe(() => Math.floor((r() - 0.5) * 2 ** 32)),
    i64: maybe(() => (r() < 0.1 ? 2n ** 60n + BigInt(Math.floor(r() * 1000)) : Math.floor((r() - 0.5) * 2 ** 53))),
    b: maybe(() => r() < 0.5),
    ts: maybe(() => Math.floor(r() * 2e12) - 1e12),
    bin: maybe(() => Uint8Array.from({ length: Math.floor(r() * 5) }, () => Math.floor(r() * 256))),
    l: maybe(() => Array.from({ length: Math.floor(r() * 4) }, () => maybe(pick))),
    ls: maybe(() => Array.from({ length: Math.floor(r() * 3) }, () =>
      maybe(() => ({ k: maybe(pick), v: maybe(() => Array.from({ length: Math.floor(r() * 3) }, () => maybe(() => Math.floor(r() * 100)))) })))),
    st: maybe(() => ({ n: maybe(() => r()), inner: maybe(() => ({ ok: maybe(() => r() < 0.5) })) })),
  }));
}

function randomIndices(n: number, k: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: k }, () => Math.floor(r() * n));
}

/** Splits rows into batches of the given sizes. */
function batchesOf(rows: unknown[], sizes: number[], sch: arrow.Schema = s.arrow): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  let pos = 0;
  for (const size of sizes) {
    out.push(rowsToRecordBatch(rows.slice(pos, pos + size), sch, "test"));
    pos += size;
  }
  return out;
}

describe("valueReader and vectorFromValues", () => {
  it("round-trips every type through a single-chunk vector", () => {
    const rows = randomRows(300, 1);
    for (const field of s.arrow.fields) {
      const values = rows.map((row) => row[field.name]);
      const v = vectorFromValues(values, field.type, "test");
      expect(v.data.length).toBe(1);
      expect(v.length).toBe(300);
      const read = valueReader(v);
      expect(values.map((_, i) => read(i))).toEqual(values);
    }
  });

  it("reads multi-chunk vectors in any order", () => {
    const values = randomRows(100, 2).map((r) => r.ls);
    const type = s.arrow.fields.find((f) => f.name === "ls")!.type;
    const chunks = [values.slice(0, 7), values.slice(7, 7), values.slice(7, 60), values.slice(60)]
      .map((part) => vectorFromValues(part, type).data[0]);
    const v = arrow.makeVector(chunks);
    expect(v.data.length).toBe(4);
    const read = valueReader(v);
    for (const i of [99, 0, 6, 7, 59, 60, 8, 98, 3]) expect(read(i)).toEqual(values[i]);
  });

  it("reads sliced vectors (non-zero offsets) of bools, strings and nulls", () => {
    const bools = [true, null, false, true, true, null, false, false, true, true, false, null];
    const strs = ["a", null, "", "日本語", "b", null, "c", "😀", "d", "e", null, "f"];
    const bv = vectorFromValues(bools, new arrow.Bool()).slice(3, 11);
    const sv = vectorFromValues(strs, new arrow.Utf8()).slice(3, 11);
    const br = valueReader(bv);
    const sr = valueReader(sv);
    expect(Array.from({ length: 8 }, (_, i) => br(i))).toEqual(bools.slice(3, 11));
    expect(Array.from({ length: 8 }, (_, i) => sr(i))).toEqual(strs.slice(3, 11));
  });

  it("reports a bad value with where, index, value and fix", () => {
    let err: unknown;
    try { vectorFromValues([1, 2, "x"], new arrow.Float64()); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SchemaError);
    const msg = (err as Error).message;
    expect(msg).toContain("vectorFromValues");
    expect(msg).toContain("row 2");
    expect(msg).toContain('"x"');
    expect(msg).toContain("expected float64, got a string");
    expect(msg).toContain("t.string()");
  });
});

describe("utf8Values", () => {
  it("decodes unicode, empty strings and nulls across chunks and slices", () => {
    const a = ["naïve", "", null, "日本語", "😀 and 🎉", "x".repeat(1000)];
    const b = [null, "ü", "last"];
    const v = arrow.makeVector([vectorFromValues(a, new arrow.Utf8()).data[0], vectorFromValues(b, new arrow.Utf8()).data[0]]);
    expect(utf8Values(v)).toEqual([...a, ...b]);
    expect(utf8Values(v.slice(2, 8))).toEqual([...a, ...b].slice(2, 8));
    expect(utf8Values(vectorFromValues([], new arrow.Utf8()))).toEqual([]);
  });

  it("decodes strings Arrow encoded, and matches Arrow's own getter", () => {
    const strs = ["ß", "ŝ", null, "中文", "🏳️‍🌈"];
    const v = arrow.vectorFromArray(strs, new arrow.Utf8());
    expect(utf8Values(v)).toEqual(strs);
    expect(utf8Values(vectorFromValues(strs, new arrow.Utf8()))).toEqual(v.toArray());
  });

  it("refuses a column that is not utf8", () => {
    expect(() => utf8Values(vectorFromValues([1], new arrow.Float64()))).toThrow(SchemaError);
  });
});

describe("takeVector", () => {
  it("gathers every type like a row-level reference, with repeats and nulls", () => {
    const rows = randomRows(500, 3);
    const idx = randomIndices(500, 800, 4);
    for (const field of s.arrow.fields) {
      const values = rows.map((row) => row[field.name]);
      const taken = takeVector(vectorFromValues(values, field.type), idx);
      expect(taken.data.length).toBe(1);
      const read = valueReader(taken);
      expect(Array.from(idx, (_, j) => read(j))).toEqual(Array.from(idx, (i) => values[i]));
    }
  });

  it("gathers from multi-chunk and sliced vectors", () => {
    const rows = randomRows(200, 5);
    for (const name of ["s", "b", "i64", "ls"]) {
      const type = s.arrow.fields.find((f) => f.name === name)!.type;
      const values = rows.map((row) => row[name]);
      const v = arrow.makeVector([0, 13, 13, 101, 200].slice(1).map((end, c, ends) =>
        vectorFromValues(values.slice(c === 0 ? 0 : ends[c - 1], end), type).data[0]));
      const idx = randomIndices(200, 300, 6);
      const read = valueReader(takeVector(v, idx));
      expect(Array.from(idx, (_, j) => read(j))).toEqual(Array.from(idx, (i) => values[i]));
      const sliced = vectorFromValues(values, type).slice(5, 150);
      const idx2 = randomIndices(145, 100, 7);
      const read2 = valueReader(takeVector(sliced, idx2));
      expect(Array.from(idx2, (_, j) => read2(j))).toEqual(Array.from(idx2, (i) => values[i + 5]));
    }
  });

  it("handles an empty index list and rejects out-of-range indices", () => {
    const v = vectorFromValues(["a", "b"], new arrow.Utf8());
    expect(takeVector(v, new Int32Array(0)).length).toBe(0);
    expect(() => takeVector(v, Int32Array.from([0, 2]))).toThrow(BeamlineError);
    expect(() => takeVector(v, Int32Array.from([-1]))).toThrow(/outside/);
  });
});

describe("takeRecordBatch and filterRecordBatch", () => {
  const rows = randomRows(1000, 8);
  const batch = rowsToRecordBatch(rows, s.arrow, "test");

  it("take matches the row-level reference and keeps the schema", () => {
    const idx = randomIndices(1000, 1500, 9);
    const out = takeRecordBatch(batch, idx);
    expect(out.schema).toBe(s.arrow);
    expect(out.numRows).toBe(1500);
    expect(recordBatchToRows(out)).toEqual(Array.from(idx, (i) => rows[i]));
  });

  it("take works on a sliced batch", () => {
    const sliced = batch.slice(333, 777);
    const idx = randomIndices(444, 500, 10);
    expect(recordBatchToRows(takeRecordBatch(sliced, idx))).toEqual(Array.from(idx, (i) => rows[333 + i]));
  });

  it("filter matches the row-level reference", () => {
    const r = rng(11);
    const keep = Uint8Array.from({ length: 1000 }, () => (r() < 0.4 ? 0 : Math.floor(r() * 255) + 1));
    const out = filterRecordBatch(batch, keep);
    expect(out.schema).toBe(s.arrow);
    expect(recordBatchToRows(out)).toEqual(rows.filter((_, i) => keep[i] !== 0));
  });

  it("filter keeping everything or nothing", () => {
    expect(recordBatchToRows(filterRecordBatch(batch, new Uint8Array(1000).fill(1)))).toEqual(rows);
    const none = filterRecordBatch(batch, new Uint8Array(1000));
    expect(none.numRows).toBe(0);
    expect(none.schema).toBe(s.arrow);
    expect(recordBatchToRows(none)).toEqual([]);
  });

  it("filter refuses a mask shorter than the batch", () => {
    expect(() => filterRecordBatch(batch, new Uint8Array(3))).toThrow(/mask has 3 entries/);
  });

  it("keeps scalar schemas (and their metadata) through take and filter", () => {
    const sc = scalarSchema(t.string()).arrow;
    const b = rowsToRecordBatch(["a", null, "日本語"], sc, "test");
    const taken = takeRecordBatch(b, Int32Array.from([2, 2, 1]));
    expect(taken.schema).toBe(sc);
    expect(taken.schema.metadata.get("beamline:scalar")).toBe("true");
    expect(recordBatchToRows(taken)).toEqual(["日本語", "日本語", null]);
    expect(recordBatchToRows(filterRecordBatch(b, Uint8Array.from([1, 0, 1])))).toEqual(["a", "日本語"]);
  });

  it("takes and filters 100k rows", () => {
    const n = 100_000;
    const big = Array.from({ length: n }, (_, i) => ({ w: i % 9 === 0 ? null : `w${i % 777}`, x: i, ok: i % 3 === 0 }));
    const bs = schema({ w: t.string(), x: t.float64(), ok: t.bool() }).arrow;
    const b = rowsToRecordBatch(big, bs, "test");
    const keep = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 1 ? 1 : 0));
    const filtered = recordBatchToRows(filterRecordBatch(b, keep));
    expect(filtered).toEqual(big.filter((_, i) => i % 4 === 1));
    const idx = Int32Array.from({ length: n }, (_, j) => n - 1 - j);
    const reversed = recordBatchToRows(takeRecordBatch(b, idx));
    expect(reversed[0]).toEqual(big[n - 1]);
    expect(reversed[n - 1]).toEqual(big[0]);
    expect(reversed).toEqual([...big].reverse());
  });
});

describe("concatRecordBatches", () => {
  it("concatenates into one batch of single-chunk columns, like the row-level reference", () => {
    const rows = randomRows(700, 12);
    const batches = batchesOf(rows, [0, 1, 7, 300, 0, 392]);
    const out = concatRecordBatches(s.arrow, batches);
    expect(out.schema).toBe(s.arrow);
    expect(out.numRows).toBe(700);
    for (let c = 0; c < out.numCols; c++) expect(out.getChildAt(c)!.data.length).toBe(1);
    expect(recordBatchToRows(out)).toEqual(rows);
  });

  it("concatenates sliced batches whose offsets are not byte-aligned", () => {
    const rows = randomRows(100, 13);
    const whole = rowsToRecordBatch(rows, s.arrow, "test");
    const parts = [whole.slice(3, 20), whole.slice(0, 5), whole.slice(57, 100), whole.slice(21, 22)];
    const out = concatRecordBatches(s.arrow, parts);
    expect(recordBatchToRows(out)).toEqual([...rows.slice(3, 20), ...rows.slice(0, 5), ...rows.slice(57, 100), rows[21]]);
  });

  it("handles no batches and only empty batches", () => {
    const none = concatRecordBatches(s.arrow, []);
    expect(none.numRows).toBe(0);
    expect(none.schema).toBe(s.arrow);
    const empties = concatRecordBatches(s.arrow, [emptyRecordBatch(s.arrow), rowsToRecordBatch([], s.arrow, "t")]);
    expect(empties.numRows).toBe(0);
    expect(recordBatchToRows(empties)).toEqual([]);
  });

  it("keeps the schema passed, replacing the batches' own", () => {
    const sc = scalarSchema(t.int64()).arrow;
    const plain = schema({ value: t.int64() }).arrow;
    const out = concatRecordBatches(sc, [rowsToRecordBatch([{ value: 1 }], plain, "t"), rowsToRecordBatch([{ value: null }], plain, "t")]);
    expect(out.schema).toBe(sc);
    expect(recordBatchToRows(out)).toEqual([1, null]);
  });

  it("refuses batches whose columns do not match the schema", () => {
    const other = rowsToRecordBatch([{ a: 1 }], schema({ a: t.float64() }).arrow, "t");
    let err: unknown;
    try { concatRecordBatches(schema({ a: t.string() }).arrow, [other]); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as Error).message).toContain('column 0 ("a") has type float64 but the schema says string');
    expect(() => concatRecordBatches(schema({ a: t.float64(), b: t.bool() }).arrow, [other])).toThrow(/1 columns/);
  });
});

describe("emptyRecordBatch and recordBatchFromColumns", () => {
  it("emptyRecordBatch has 0 rows, the schema's types, and the schema object", () => {
    const b = emptyRecordBatch(s.arrow);
    expect(b.numRows).toBe(0);
    expect(b.schema).toBe(s.arrow);
    b.data.children.forEach((c, i) => expect(arrow.util.compareTypes(c.type, s.arrow.fields[i].type)).toBe(true));
    expect(recordBatchToRows(b)).toEqual([]);
  });

  it("assembles columns, combining multi-chunk ones", () => {
    const sch = schema({ w: t.string(), n: t.int32() }).arrow;
    const w = arrow.makeVector([vectorFromValues(["a", null], new arrow.Utf8()).data[0], vectorFromValues(["日本語"], new arrow.Utf8()).data[0]]);
    const n = vectorFromValues([1, 2, null], new arrow.Int32());
    const b = recordBatchFromColumns(sch, [w, n]);
    expect(b.schema).toBe(sch);
    expect(b.getChildAt(0)!.data.length).toBe(1);
    expect(recordBatchToRows(b)).toEqual([{ w: "a", n: 1 }, { w: null, n: 2 }, { w: "日本語", n: null }]);
  });

  it("refuses columns of unequal length, of the wrong type, or of the wrong count", () => {
    const sch = schema({ w: t.string(), n: t.int32() }).arrow;
    const w = vectorFromValues(["a"], new arrow.Utf8());
    expect(() => recordBatchFromColumns(sch, [w, vectorFromValues([1, 2], new arrow.Int32())])).toThrow(/column 1 \("n"\) has 2 rows but column 0 has 1/);
    expect(() => recordBatchFromColumns(sch, [w, vectorFromValues([1], new arrow.Float64())])).toThrow(/has type float64 but the schema says int32/);
    expect(() => recordBatchFromColumns(sch, [w])).toThrow(SchemaError);
  });
});

describe("every field type through take, filter and concat", () => {
  const types: [string, FieldType, unknown[]][] = [
    ["float32", t.float32(), [0.5, null, -2]],
    ["int64", t.int64(), [2n ** 62n, null, -3]],
    ["timestamp", t.timestamp(), [0, null, 1_700_000_000_000]],
    ["binary", t.binary(), [new Uint8Array([1, 2]), null, new Uint8Array()]],
    ["list<struct>", t.list(t.struct({ a: t.list(t.string()) })), [[{ a: ["x", null] }, null], null, []]],
  ];
  it.each(types)("%s", (_name, type, values) => {
    const sch = scalarSchema(type).arrow;
    const b = rowsToRecordBatch(values, sch, "t");
    expect(recordBatchToRows(takeRecordBatch(b, Int32Array.from([2, 0, 1, 0])))).toEqual([values[2], values[0], values[1], values[0]]);
    expect(recordBatchToRows(filterRecordBatch(b, Uint8Array.from([0, 1, 1])))).toEqual(values.slice(1));
    expect(recordBatchToRows(concatRecordBatches(sch, [b.slice(1), b, b.slice(0, 1)]))).toEqual([...values.slice(1), ...values, values[0]]);
  });
});

describe("decodeUtf8", () => {
  test("decodes like Buffer#toString, for repeated, colliding, multi-byte, invalid and long byte strings", () => {
    const samples = ["", "a", "word", "héllo", "日本語", "💥x", "a\u0000b", "x".repeat(24), "y".repeat(25), "z".repeat(300)];
    for (let i = 0; i < 200_000; i++) samples.push(`k${(i * 7919) % 150_000}`);
    const bytes: Buffer[] = samples.map((s) => Buffer.from(s, "utf8"));
    bytes.push(Buffer.from([0xff, 0xfe, 0x41]), Buffer.from([0xe6, 0x97]));
    const all = Buffer.concat(bytes);
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      let pos = 0;
      for (const b of bytes) {
        const want = all.toString("utf8", pos, pos + b.length);
        if (decodeUtf8(all, pos, pos + b.length) !== want) wrong.push(want);
        pos += b.length;
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("utf8 columns read in the thread that wrote them", () => {
  test("read back as written, nulls and slices included; a lone surrogate reads as U+FFFD like a decoded column", () => {
    const values = ["a", null, "héllo", "💥", "x".repeat(60)];
    const vec = vectorFromValues(values, new arrow.Utf8(), "test");
    expect(utf8Values(vec)).toEqual(values);
    const read = valueReader(vec);
    expect(values.map((_, i) => read(i))).toEqual(values);
    expect(utf8Values(vec.slice(1, 4))).toEqual(values.slice(1, 4));
    const lone = ["ok", "a\uD800b", `${"y".repeat(50)}\uDC00`];
    expect(utf8Values(vectorFromValues(lone, new arrow.Utf8(), "test"))).toEqual(["ok", "a\uFFFDb", `${"y".repeat(50)}\uFFFD`]);
  });
});

describe("strings kept beside the columns written from them", () => {
  test("kept by default; not kept when asked, and then read back from the bytes the same", () => {
    const s = schema({ word: t.string(), n: t.int32() });
    const rows = [{ word: "zebra", n: 1 }, { word: null, n: 2 }, { word: "straße", n: 3 }];
    const kept = rowsToRecordBatch(rows, s.arrow, "test");
    const lean = rowsToRecordBatch(rows, s.arrow, "test", { keepStrings: false });
    expect(keepsStrings(kept.data.children[0])).toBe(true);
    expect(keepsStrings(lean.data.children[0])).toBe(false);
    expect(recordBatchToRows(lean)).toEqual(rows);
    expect(recordBatchToRows(kept)).toEqual(rows);
    const words = scalarSchema(t.string());
    expect(keepsStrings(rowsToRecordBatch(["a", "b"], words.arrow, "test", { keepStrings: false }).data.children[0])).toBe(false);
  });
});

