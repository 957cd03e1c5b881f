import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { IOError, Pipeline, readJsonLines, scalarSchema, schema, SchemaError, t, writeJsonLines } from "beamline";
import { isScalarSchema } from "../../../sdk/schema";
import { JsonLinesSink, JsonLinesSource } from "../../../transforms/io";
import { readAll, tmpDir, writeAll } from "./helpers";

function write(name: string, text: string | Buffer): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

function build(pattern: string, opts: any = {}) {
  const p = new Pipeline();
  const out = p.apply(readJsonLines(pattern, opts));
  return { p, out, source: p.fn<JsonLinesSource>("ReadJsonLines") };
}

describe("readJsonLines", () => {
  test("infers the schema at construction; nulls, nesting, unicode, blank lines", async () => {
    const f = write("a.jsonl", '{"id":1,"name":"Zoë 🎉","tags":["x"],"pos":{"x":1.5}}\n\n{"id":2,"name":null,"tags":[],"pos":null}\r\n{"id":3}');
    const { out, source } = build(f);
    expect(out.schema!.fields.map((x: any) => x.name)).toEqual(["id", "name", "tags", "pos"]);
    const { main } = await readAll(source);
    expect(main).toEqual([
      { id: 1, name: "Zoë 🎉", tags: ["x"], pos: { x: 1.5 } },
      { id: 2, name: null, tags: [], pos: null },
      { id: 3, name: null, tags: null, pos: null },
    ]);
  });

  test("scalar lines give a scalar schema; gzip", async () => {
    const f = write("n.jsonl.gz", zlib.gzipSync("1\n2.5\n-3\n"));
    const { out, source } = build(f);
    expect(isScalarSchema(out.schema!)).toBe(true);
    expect((await readAll(source)).main).toEqual([1, 2.5, -3]);
  });

  test("inference errors: missing file, empty file, bad JSON, mixed types", () => {
    const d = tmpDir();
    expect(() => build(path.join(d, "missing.jsonl"))).toThrow(/matched no file/);
    expect(() => build(write("e.jsonl", "\n\n"))).toThrow(/no JSON lines/);
    const bad = write("b.jsonl", '{"a":1}\n{oops\n');
    expect(() => build(bad)).toThrow(IOError);
    expect(() => build(bad)).toThrow(`${bad}:2`);
    expect(() => build(write("m.jsonl", '{"a":1}\n{"a":"x"}\n'))).toThrow(SchemaError);
  });

  test("a declared schema; a bad line fails naming file, line, value and fix", async () => {
    const f = write("d.jsonl", '{"a":1}\n{"a":"nope"}\n');
    const { source } = build(f, { schema: schema({ a: t.float64() }) });
    const err = await readAll(source).catch((e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err.message).toContain(`${f}:2`);
    expect(err.message).toContain("nope");
    expect(err.fix).toMatch(/deadLetter/);
    const g = write("j.jsonl", '{"a":1}\n{"a":\n');
    await expect(readAll(build(g, { schema: schema({ a: t.float64() }) }).source)).rejects.toThrow(`${g}:2`);
  });

  test("deadLetter: true routes unparsable and misfit lines", async () => {
    const f = write("dl.jsonl", '{"a":1}\n{bad\n{"a":"x"}\n{"a":2,"extra":true}\n{"a":3}\n');
    const { out, source } = build(f, { deadLetter: true, schema: schema({ a: t.float64() }) });
    expect(Object.keys(out)).toEqual(["main", "deadLetter"]);
    const { main, deadLetter } = await readAll(source);
    expect(main).toEqual([{ a: 1 }, { a: 3 }]);
    expect(deadLetter.map((d) => d.line)).toEqual([2, 3, 4]);
    expect(JSON.parse(deadLetter[2].element)).toBe('{"a":2,"extra":true}');
    expect(deadLetter[2].message).toMatch(/extra/);
    expect(deadLetter[2].transform).toBe("ReadJsonLines");
  });
});

describe("readJsonLines: bytes that are not UTF-8", () => {
  const latin1 = Buffer.concat([Buffer.from('{"name":"ok"}\n{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"name":"last"}\n')]);

  test("a line that is not valid UTF-8 fails the read naming file and line, instead of becoming U+FFFD", async () => {
    const f = write("latin1.jsonl", latin1);
    const err = await readAll(build(f, { schema: schema({ name: t.string() }) }).source).catch((e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err.code).toBe("BL_JSONL_MALFORMED");
    expect(err.message).toContain(`${f}:2`);
    expect(err.rule).toMatch(/not valid UTF-8/);
    expect(err.fix).toMatch(/UTF-8.*deadLetter/);
  });

  test("with deadLetter it is a dead letter with file and line, and the other lines are read", async () => {
    const f = write("latin1.jsonl", latin1);
    const { main, deadLetter } = await readAll(build(f, { deadLetter: true, schema: schema({ name: t.string() }) }).source);
    expect(main).toEqual([{ name: "ok" }, { name: "last" }]);
    expect(deadLetter.map((d) => [d.file, d.line])).toEqual([[f, 2]]);
    expect(deadLetter[0].message).toMatch(/not valid UTF-8/);
  });
});

describe("writeJsonLines", () => {
  test("round trip of 200k rows with nested values over 2 shards", async () => {
    const d = tmpDir();
    const s = schema({ id: t.int64(), name: t.string(), ok: t.bool(), xs: t.list(t.float64()), when: t.timestamp() });
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: i % 10 ? `n${i} ✓` : null, ok: i % 3 === 0, xs: [i, i / 2], when: i }));
    const files = await writeAll(new JsonLinesSink(path.join(d, "o"), { numShards: 2 }), s.arrow, rows, { shards: 2, batchRows: 50000 });
    expect(files.map((f) => path.basename(f))).toEqual(["o-00000-of-00002.jsonl", "o-00001-of-00002.jsonl"]);
    const { source } = build(path.join(d, "o-*.jsonl"), { schema: s });
    const { main } = await readAll(source);
    expect(main.length).toBe(rows.length);
    const byId = new Map(main.map((r: any) => [r.id, r]));
    expect(byId.get(199_999)).toEqual(rows[199_999]);
    expect(byId.get(10)).toEqual(rows[10]);
  });

  test("NaN and ±Infinity are written as \"NaN\", \"Infinity\", \"-Infinity\" and read back with the same schema, at any depth", async () => {
    const d = tmpDir();
    const fs2 = schema({ name: t.string(), x: t.float64(), y: t.float32(), xs: t.list(t.float64()), p: t.struct({ z: t.float64() }) });
    const rows = [
      { name: "NaN", x: NaN, y: Infinity, xs: [1, -Infinity, NaN], p: { z: -Infinity } },
      { name: "Infinity", x: 1.5, y: -Infinity, xs: null, p: null },
      { name: "ok", x: null, y: 2, xs: [], p: { z: NaN } },
    ];
    const [file] = await writeAll(new JsonLinesSink(path.join(d, "f")), fs2.arrow, rows);
    expect(fs.readFileSync(file, "utf8").split("\n")[0]).toBe('{"name":"NaN","x":"NaN","y":"Infinity","xs":[1,"-Infinity","NaN"],"p":{"z":"-Infinity"}}');
    const { main, deadLetter } = await readAll(build(file, { schema: fs2, deadLetter: true }).source);
    expect(deadLetter).toEqual([]);
    expect(main).toEqual(rows); // strings in string columns stay strings
    // Any other string in a float column is still a row that does not fit.
    const g = write("bad.jsonl", '{"x":"nan"}\n');
    await expect(readAll(build(g, { schema: schema({ x: t.float64() }) }).source)).rejects.toThrow(`${g}:1`);
    // A scalar float schema too.
    const h = write("scalar.jsonl", '1.5\n"NaN"\n"-Infinity"\n');
    expect((await readAll(build(h, { schema: scalarSchema(t.float64()) }).source)).main).toEqual([1.5, NaN, -Infinity]);
  });

  test("empty input writes empty shards; gzip suffix", async () => {
    const d = tmpDir();
    const s = schema({ a: t.string() });
    const files = await writeAll(new JsonLinesSink(path.join(d, "e"), { compression: "gzip" }), s.arrow, []);
    expect(files[0].endsWith(".jsonl.gz")).toBe(true);
    expect(zlib.gunzipSync(fs.readFileSync(files[0])).length).toBe(0);
  });

  test("declares a write primitive", () => {
    const d = tmpDir();
    const f = write("x.jsonl", '{"a":1}\n');
    const p = new Pipeline();
    p.apply(readJsonLines(f)).apply(writeJsonLines(path.join(d, "o")));
    expect(p.graph().transforms["WriteJsonLines"].payload).toMatchObject({ format: "jsonl", suffix: ".jsonl" });
  });
});
