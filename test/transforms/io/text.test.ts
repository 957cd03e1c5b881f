import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { IOError, Pipeline, readText, scalarSchema, schema, t, writeText } from "beamline";
import { isScalarSchema } from "../../../sdk/schema";
import { READ_URN } from "../../../sdk/source";
import { WRITE_URN } from "../../../sdk/sink";
import { TextSink, TextSource, textSchema } from "../../../transforms/io";
import { listFiles, readAll, tmpDir, writeAll } from "./helpers";

describe("readText", () => {
  test("declares a read primitive with a scalar string schema", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "a.txt"), "x\n");
    const p = new Pipeline();
    const lines = p.apply(readText(path.join(d, "*.txt")));
    expect(isScalarSchema(lines.schema!)).toBe(true);
    expect(lines.bounded).toBe(true);
    const g = p.graph();
    const tr = g.transforms["ReadText"];
    expect(tr.urn).toBe(READ_URN);
    expect(tr.payload).toMatchObject({ format: "text", pattern: [path.join(d, "*.txt")] });
    expect(p.fn<TextSource>("ReadText")).toBeInstanceOf(TextSource);
  });

  test("one row per line across files, unicode, \\r\\n, gzip", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "a.txt"), "héllo\r\nwörld 🌍\n");
    fs.writeFileSync(path.join(d, "b.txt.gz"), zlib.gzipSync("third\nfourth"));
    const { main } = await readAll(new TextSource(path.join(d, "*")));
    expect(main).toEqual(["héllo", "wörld 🌍", "third", "fourth"]);
  });

  test("empty files give no rows", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "e.txt"), "");
    expect((await readAll(new TextSource(path.join(d, "e.txt")))).main).toEqual([]);
  });

  test("a pattern that matches nothing fails at split with the pattern named", async () => {
    const d = tmpDir();
    await expect(new TextSource(path.join(d, "*.none")).split(1)).rejects.toThrow(IOError);
    await expect(new TextSource(path.join(d, "*.none")).split(1)).rejects.toThrow(/matched no file/);
  });

  test("explicit compression for a gzip file without .gz", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "z.dat"), zlib.gzipSync("a\nb\n"));
    expect((await readAll(new TextSource(path.join(d, "z.dat"), "gzip"))).main).toEqual(["a", "b"]);
  });

  test("resumes from a position", async () => {
    const d = tmpDir();
    const f = path.join(d, "r.txt");
    fs.writeFileSync(f, Array.from({ length: 40000 }, (_, i) => String(i)).join("\n"));
    const src = new TextSource(f);
    const [part] = await src.split(1);
    const it = src.read(part, null)[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    await it.return?.();
    let rest = 0;
    let firstValue: unknown;
    for await (const c of src.read(part, first.position!)) {
      if (firstValue === undefined) firstValue = c.batch!.data.getChildAt(0)!.get(0);
      rest += c.batch!.data.numRows;
    }
    expect(first.batch.data.numRows + rest).toBe(40000);
    expect(firstValue).toBe(String(first.batch.data.numRows));
  });
});

describe("writeText", () => {
  test("round trip of 200k unicode lines over 3 shards", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 200_000 }, (_, i) => `ligne ${i} — ✓ ${"é".repeat(i % 5)}`);
    const sink = new TextSink(path.join(d, "out"), { numShards: 3 });
    const files = await writeAll(sink, textSchema.arrow, rows, { shards: 3 });
    expect(files.map((f) => path.basename(f))).toEqual(["out-00000-of-00003.txt", "out-00001-of-00003.txt", "out-00002-of-00003.txt"]);
    const { main } = await readAll(new TextSource(path.join(d, "out-*.txt")));
    expect(main.length).toBe(rows.length);
    expect(new Set(main)).toEqual(new Set(rows));
  });

  test("non-string rows are written as JSON; gzip adds .gz and reads back", async () => {
    const d = tmpDir();
    const s = schema({ a: t.int64(), b: t.string(), c: t.list(t.float64()) });
    const rows = [{ a: 1, b: "x", c: [1.5] }, { a: null, b: null, c: null }];
    const files = await writeAll(new TextSink(path.join(d, "j"), { compression: "gzip" }), s.arrow, rows);
    expect(files[0].endsWith(".txt.gz")).toBe(true);
    const { main } = await readAll(new TextSource(files[0]));
    expect(main.map((l) => JSON.parse(l as string))).toEqual(rows);
  });

  test("an empty input writes empty shards", async () => {
    const d = tmpDir();
    const files = await writeAll(new TextSink(path.join(d, "e"), { numShards: 2 }), textSchema.arrow, [], { shards: 2 });
    expect(files.length).toBe(2);
    for (const f of files) expect(fs.readFileSync(f, "utf8")).toBe("");
    expect(listFiles(d).length).toBe(2);
  });

  test("declares a write primitive returning {file} rows", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "a.txt"), "x\n");
    const p = new Pipeline();
    const out = p.apply(readText(path.join(d, "a.txt"))).apply(writeText(path.join(d, "o"), { suffix: ".log" }));
    expect(out.schema!.fields.map((f) => f.name)).toEqual(["file"]);
    expect(p.graph().transforms["WriteText"].urn).toBe(WRITE_URN);
    expect(p.graph().transforms["WriteText"].payload).toMatchObject({ suffix: ".log", numShards: 1 });
    expect(scalarSchema(t.string()).arrow.fields[0].name).toBe("value");
  });
});
