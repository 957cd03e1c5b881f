import * as fs from "node:fs";
import * as path from "node:path";
import * as arrow from "apache-arrow";
import { IOError, Pipeline, readArrow, recordBatchToRows, rowsToRecordBatch, scalarSchema, schema, t, writeArrow } from "beamline";
import { isScalarSchema } from "../../../sdk/schema";
import { ArrowSink, ArrowSource, readArrowSchemaSync } from "../../../transforms/io";
import { readAll, tmpDir, writeAll } from "./helpers";

const s = schema({ id: t.int64(), name: t.string(), score: t.float64(), ok: t.bool(), when: t.timestamp(), tags: t.list(t.string()), pos: t.struct({ x: t.float64() }) });
const row = (i: number) => ({ id: i, name: i % 7 ? `n${i} 🎯` : null, score: i / 3, ok: i % 2 === 0, when: i * 1000, tags: i % 5 ? ["a", `${i}`] : null, pos: i % 3 ? { x: i } : null });

function build(pattern: string) {
  const p = new Pipeline();
  const out = p.apply(readArrow(pattern));
  return { p, out, source: p.fn<ArrowSource>("ReadArrow") };
}

describe("arrow IPC", () => {
  test("round trip of 200k rows over 2 shards; schema at construction", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 200_000 }, (_, i) => row(i));
    const files = await writeAll(new ArrowSink(path.join(d, "o"), { numShards: 2 }, s.arrow), s.arrow, rows, { shards: 2, batchRows: 40000 });
    expect(files.map((f) => path.basename(f))).toEqual(["o-00000-of-00002.arrow", "o-00001-of-00002.arrow"]);
    const { out, source } = build(path.join(d, "o-*.arrow"));
    expect(out.schema!.fields.map((f: arrow.Field) => `${f.name}:${f.type}`)).toEqual(s.arrow.fields.map((f) => `${f.name}:${f.type}`));
    const { main } = await readAll(source);
    expect(main.length).toBe(rows.length);
    const byId = new Map(main.map((r: any) => [r.id, r]));
    expect(byId.get(12345)).toEqual(rows[12345]);
    expect(byId.get(14)).toEqual(rows[14]);
  });

  test("reads the stream format and files written by Arrow itself (non-nullable fields made nullable)", async () => {
    const d = tmpDir();
    const native = new arrow.Schema([new arrow.Field("v", new arrow.Int32(), false)]);
    const table = new arrow.Table(native, [new arrow.RecordBatch(native, arrow.makeData({ type: new arrow.Struct(native.fields), length: 3, children: [arrow.makeData({ type: new arrow.Int32(), length: 3, data: new Int32Array([1, 2, 3]) })] }))]);
    fs.writeFileSync(path.join(d, "s.arrows"), arrow.tableToIPC(table, "stream"));
    fs.writeFileSync(path.join(d, "f.arrow"), arrow.tableToIPC(table, "file"));
    for (const f of ["s.arrows", "f.arrow"]) {
      const { out, source } = build(path.join(d, f));
      expect(out.schema!.fields[0].nullable).toBe(true);
      expect((await readAll(source)).main).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    }
  });

  test("a declared schema is taken without reading a file at construction, and fits files whose float64 columns decode as Arrow's Float", async () => {
    const d = tmpDir();
    const declared = schema({ name: t.string(), x: t.float64() });
    const table = new arrow.Table({ name: arrow.vectorFromArray(["a", "b"], new arrow.Utf8()), x: arrow.vectorFromArray([0.5, 1.5], new arrow.Float64()) });
    fs.writeFileSync(path.join(d, "s.arrows"), arrow.tableToIPC(table, "stream"));
    fs.writeFileSync(path.join(d, "f.arrow"), arrow.tableToIPC(table, "file"));
    for (const f of ["s.arrows", "f.arrow"]) {
      const p = new Pipeline();
      const out = p.apply(readArrow(path.join(d, f), { schema: declared }));
      expect(out.schema!.fields.map((field: arrow.Field) => `${field.name}:${field.type}`)).toEqual(["name:Utf8", "x:Float64"]);
      expect((await readAll(p.fn<ArrowSource>("ReadArrow"))).main).toEqual([{ name: "a", x: 0.5 }, { name: "b", x: 1.5 }]);
    }
    // Nothing is read while building: a pattern that matches nothing yet is fine until the run.
    expect(() => new Pipeline().apply(readArrow(path.join(d, "later-*.arrow"), { schema: declared }))).not.toThrow();
  });

  test("resumes from a batch position", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 30 }, (_, i) => row(i));
    const [file] = await writeAll(new ArrowSink(path.join(d, "r"), {}, s.arrow), s.arrow, rows, { batchRows: 10 });
    const src = build(file).source;
    const [part] = await src.split(1);
    const got: number[] = [];
    for await (const c of src.read(part, { batch: 1 })) got.push(c.batch!.data.numRows);
    expect(got).toEqual([10, 10]);
  });

  test("reads a file's batches ahead by their footer blocks: all of them in order, an early stop, a truncated file, dictionaries", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 5_000 }, (_, i) => row(i));
    const [file] = await writeAll(new ArrowSink(path.join(d, "b"), {}, s.arrow), s.arrow, rows, { batchRows: 100 });
    const src = build(file).source;
    const [part] = await src.split(1);
    const positions: unknown[] = [];
    const read: unknown[] = [];
    for await (const c of src.read(part, null)) {
      positions.push(c.position);
      read.push(...recordBatchToRows(c.batch!.data));
    }
    expect(read).toEqual(rows);
    expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => ({ batch: i + 1 })));
    // Stopping after one batch leaves no read behind (the next ones were already under way).
    for await (const c of src.read(part, null)) {
      expect(c.batch!.data.numRows).toBe(100);
      break;
    }
    // A file cut inside its last batches, with the footer put back: named as truncated.
    const bytes = fs.readFileSync(file);
    const footerLength = bytes.readInt32LE(bytes.length - 10) + 10;
    const cut = path.join(d, "cut.arrow");
    fs.writeFileSync(cut, Buffer.concat([bytes.subarray(0, bytes.length - footerLength - 5_000), bytes.subarray(bytes.length - footerLength)]));
    const cutSource = new ArrowSource(cut, src.schema);
    await expect(readAll(cutSource)).rejects.toThrow(/cut short|not an Arrow IPC file/);
    // Dictionaries are refused by name.
    const dict = path.join(d, "dict.arrow");
    const table = new arrow.Table({ c: arrow.vectorFromArray(["x", "y", "x", "z"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())) });
    fs.writeFileSync(dict, arrow.tableToIPC(table, "file"));
    await expect(readAll(new ArrowSource(dict, table.schema))).rejects.toMatchObject({ code: "BL_ARROW_DICTIONARIES" });
  });

  test("empty input writes a file with the schema; scalars keep their metadata", async () => {
    const d = tmpDir();
    const [file] = await writeAll(new ArrowSink(path.join(d, "e"), {}, s.arrow), s.arrow, []);
    expect(readArrowSchemaSync(file).fields.length).toBe(7);
    expect((await readAll(build(file).source)).main).toEqual([]);
    const sc = scalarSchema(t.string());
    const [f2] = await writeAll(new ArrowSink(path.join(d, "sc"), {}, sc.arrow), sc.arrow, ["a", null, "ü"]);
    const b = build(f2);
    expect(isScalarSchema(b.out.schema!)).toBe(true);
    expect((await readAll(b.source)).main).toEqual(["a", null, "ü"]);
  });

  test("bad input: not an arrow file, missing file", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "x.arrow"), "definitely not arrow");
    expect(() => build(path.join(d, "x.arrow"))).toThrow(IOError);
    expect(() => build(path.join(d, "nope.arrow"))).toThrow(/matched no file/);
  });

  test("declares a write primitive", () => {
    const d = tmpDir();
    const [f] = [path.join(d, "in.arrow")];
    fs.writeFileSync(f, arrow.tableToIPC(new arrow.Table([rowsToRecordBatch([row(1)], s.arrow, "t")]), "file"));
    const p = new Pipeline();
    p.apply(readArrow(f)).apply(writeArrow(path.join(d, "o")));
    expect(p.graph().transforms["WriteArrow"].payload).toMatchObject({ format: "arrow", suffix: ".arrow" });
  });
});
