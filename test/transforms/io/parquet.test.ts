import * as fs from "node:fs";
import * as path from "node:path";
import { DirectRunner, IOError, Pipeline, readParquet, scalarSchema, schema, t, writeParquet } from "beamline";
import { isScalarSchema } from "../../../sdk/schema";
import { ParquetSink, ParquetSource, readParquetSchemaSync } from "../../../transforms/io";
import { readAll, tmpDir, writeAll } from "./helpers";

const s = schema({ id: t.int64(), name: t.string(), score: t.float64(), ok: t.bool(), when: t.timestamp(), tags: t.list(t.string()), pos: t.struct({ x: t.float64() }) });
const row = (i: number) => ({ id: i, name: i % 7 ? `n${i} 🎯` : null, score: i / 3, ok: i % 2 === 0, when: i * 1000, tags: i % 5 ? ["a", `${i}`] : null, pos: i % 3 ? { x: i } : null });

function build(pattern: string) {
  const p = new Pipeline();
  const out = p.apply(readParquet(pattern));
  return { p, out, source: p.fn<ParquetSource>("ReadParquet") };
}

describe("parquet", () => {
  test("round trip of 200k rows; one part per row group; schema from the footer", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 200_000 }, (_, i) => row(i));
    const files = await writeAll(new ParquetSink(path.join(d, "o"), { numShards: 2, compression: "zstd" }, s.arrow), s.arrow, rows, { shards: 2, batchRows: 50000 });
    expect(files.map((f) => path.basename(f))).toEqual(["o-00000-of-00002.parquet", "o-00001-of-00002.parquet"]);
    const { out, source } = build(path.join(d, "o-*.parquet"));
    expect(out.schema!.fields.map((f: any) => `${f.name}:${f.type}`)).toEqual(s.arrow.fields.map((f) => `${f.name}:${f.type}`));
    const parts = await source.split(8);
    expect(parts.length).toBe(4); // 100k rows per file, 65536-row groups
    const { main } = await readAll(source);
    expect(main.length).toBe(rows.length);
    const byId = new Map(main.map((r: any) => [r.id, r]));
    expect(byId.get(123_456)).toEqual(rows[123_456]);
    expect(byId.get(21)).toEqual(rows[21]);
  });

  test("empty input writes a zero-row file with the schema; scalar schemas survive", async () => {
    const d = tmpDir();
    const [file] = await writeAll(new ParquetSink(path.join(d, "e"), {}, s.arrow), s.arrow, []);
    expect(readParquetSchemaSync(file).fields.map((f) => f.name)).toEqual(s.arrow.fields.map((f) => f.name));
    expect((await readAll(build(file).source)).main).toEqual([]);
    const sc = scalarSchema(t.string());
    const [f2] = await writeAll(new ParquetSink(path.join(d, "sc"), {}, sc.arrow), sc.arrow, ["a", null, "ü 🎉"]);
    const b = build(f2);
    expect(isScalarSchema(b.out.schema!)).toBe(true);
    expect((await readAll(b.source)).main).toEqual(["a", null, "ü 🎉"]);
  });

  test("bad input: not parquet, missing file, bad option", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "x.parquet"), "definitely not parquet at all");
    expect(() => build(path.join(d, "x.parquet"))).toThrow(IOError);
    expect(() => build(path.join(d, "nope.parquet"))).toThrow(/matched no file/);
    expect(() => new ParquetSink(path.join(d, "o"), { compression: "lzma" as any })).toThrow(/compression/);
  });

  test("a file corrupt inside a row group fails its read naming the file, not retriable, and reads of good files beside it go on", async () => {
    const d = tmpDir();
    const simple = schema({ id: t.int64(), name: t.string() });
    const rows = Array.from({ length: 150_000 }, (_, i) => ({ id: i, name: `name ${i}` }));
    await writeAll(new ParquetSink(path.join(d, "good"), {}, simple.arrow), simple.arrow, rows);
    const good = path.join(d, "good-00000-of-00001.parquet");
    const bytes = fs.readFileSync(good);
    const bad = path.join(d, "bad.parquet");
    for (let i = 0; i < 64; i++) bytes[1000 + i] ^= 0x5a; // the first row group's data pages; the footer is intact
    fs.writeFileSync(bad, bytes);
    const { source } = build(path.join(d, "*.parquet"));
    const parts = await source.split(4);
    expect(parts.length).toBe(6); // three row groups in each file
    // Every part read at once, as a runner does: the decoder's failure on the corrupt file (a trap
    // that would otherwise end the process) fails that file's read alone.
    const results = await Promise.allSettled(parts.map(async (part) => {
      let n = 0;
      for await (const c of source.read(part, null)) n += c.batch?.data.numRows ?? 0;
      return n;
    }));
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [[(parts[i] as any).file, r.reason]] : []));
    expect(failed.length).toBeGreaterThan(0);
    for (const [file, e] of failed) {
      expect(file).toBe(bad);
      expect(e).toBeInstanceOf(IOError);
      expect(e).toMatchObject({ code: "BL_PARQUET_MALFORMED", retriable: false });
      expect(e.message).toContain(bad);
    }
    const goodRows = results.filter((r, i) => (parts[i] as any).file === good).map((r) => (r as PromiseFulfilledResult<number>).value);
    expect(goodRows.reduce((a, b) => a + b, 0)).toBe(rows.length);
  });

  test("through the direct runner at parallelism 2, a corrupt file ends the run with an error naming it", async () => {
    const d = tmpDir();
    const simple = schema({ id: t.int64() });
    await writeAll(new ParquetSink(path.join(d, "x"), {}, simple.arrow), simple.arrow, Array.from({ length: 100_000 }, (_, i) => ({ id: i })));
    const f = path.join(d, "x-00000-of-00001.parquet");
    const bytes = fs.readFileSync(f);
    for (let i = 0; i < 64; i++) bytes[500 + i] ^= 0x5a;
    fs.writeFileSync(f, bytes);
    const p = new Pipeline();
    p.apply(readParquet(f));
    const err = await new DirectRunner({ parallelism: 2, restartStrategy: { kind: "fixed-delay", attempts: 3, delayMs: 0 } }).run(p).catch((e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err).toMatchObject({ code: "BL_PARQUET_MALFORMED", retriable: false });
    expect(err.message).toContain(f);
  });

  test("declares a write primitive", async () => {
    const d = tmpDir();
    const [f] = await writeAll(new ParquetSink(path.join(d, "in"), {}, s.arrow), s.arrow, [row(1)]);
    const p = new Pipeline();
    p.apply(readParquet(f)).apply(writeParquet(path.join(d, "o")));
    expect(p.graph().transforms["WriteParquet"].payload).toMatchObject({ format: "parquet", suffix: ".parquet" });
  });
});
