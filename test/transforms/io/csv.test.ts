import * as fs from "node:fs";
import * as path from "node:path";
import { deadLetterSchema, IOError, Pipeline, readCsv, type ReadCsvOptions, schema, SchemaError, t, writeCsv } from "beamline";
import { CsvSink, CsvSource } from "../../../transforms/io";
import { csvField, csvOpenAfter, CsvRecordAssembler, MAX_RECORD_CHARS, parseCsvRecord } from "../../../transforms/io/csv";
import { rng } from "../../helpers";
import { readAll, tmpDir, writeAll } from "./helpers";

function write(name: string, text: string): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

function sourceOf(pattern: string, opts: ReadCsvOptions<any> = {}): { source: CsvSource; p: Pipeline; out: any } {
  const p = new Pipeline();
  const out = p.apply(readCsv(pattern, opts as any));
  return { source: p.fn<CsvSource>("ReadCsv"), p, out };
}

/** Feeds `lines` (numbered from 1) through an assembler; returns what it reported and the work it did. */
function assemble(lines: readonly string[]) {
  const out: (string | number)[][] = [];
  const a = new CsvRecordAssembler(",", (r) => out.push([r.line, ...r.fields.map(String)]), (b) => out.push([b.line, "bad", b.error.slice(0, 30)]));
  lines.forEach((text, i) => a.feed(text, i + 1, false));
  a.end();
  return { out, work: a.charsExamined, chars: lines.reduce((n, l) => n + l.length, 0) };
}

describe("CsvRecordAssembler", () => {
  test("one unterminated quote: the quote is reported with its line, every line after it is read, and the work is linear", () => {
    for (const n of [1000, 20_000]) {
      const lines = ['1,"never closed', ...Array.from({ length: n }, (_, i) => `${i},x`)];
      const { out, work, chars } = assemble(lines);
      expect(out[0]).toEqual([1, "bad", "a quoted field is never closed"]);
      expect(out.length).toBe(n + 1);
      expect(out[n]).toEqual([n + 1, String(n - 1), "x"]);
      // Each line scanned when it arrives, once more as a record of its own after the report, and parsed once.
      expect(work).toBeLessThanOrEqual(3 * chars);
    }
  });

  test("a quote still open past the record limit is reported and the lines after it are read, in linear work", () => {
    const filler = "y".repeat(60);
    const n = Math.ceil(MAX_RECORD_CHARS / filler.length) + 1000;
    const lines = ['"open', ...Array.from({ length: n }, (_, i) => `${i},${filler}`)];
    const { out, work, chars } = assemble(lines);
    expect(out[0]).toEqual([1, "bad", "a quoted field is never closed"]);
    expect(out.length).toBe(n + 1);
    expect(out.slice(1).every((r, i) => r[0] === i + 2 && r[1] === String(i))).toBe(true);
    expect(work).toBeLessThanOrEqual(3 * chars);
  });

  test("reads random CSV exactly as joining the open lines and parsing again would (the reference, quadratic reading)", () => {
    const random = rng(14);
    const pick = (xs: string) => xs[Math.floor(random() * xs.length)];
    for (let trial = 0; trial < 300; trial++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Array.from({ length: Math.floor(random() * 7) }, () => pick('ab,,""')).join(""));
      // The reference: a record is open while parsing the lines joined so far says so.
      const expected: (string | number)[][] = [];
      let start = 0;
      for (let i = 0; i < lines.length; i++) {
        if (start === i && lines[i] === "") { start = i + 1; continue; }
        const parsed = parseCsvRecord(lines.slice(start, i + 1).join("\n"), ",");
        if (typeof parsed === "symbol") {
          expect(csvOpenAfter(lines[i], ",", i > start)).toBe(true);
          continue;
        }
        expect(csvOpenAfter(lines[i], ",", i > start)).toBe(false);
        expected.push(Array.isArray(parsed) ? [start + 1, ...parsed.map(String)] : [start + 1, "bad", parsed.error.slice(0, 30)]);
        start = i + 1;
      }
      const got = assemble(lines).out;
      expect(got.slice(0, expected.length)).toEqual(expected);
    }
  });
});

describe("parseCsvRecord", () => {
  test("RFC 4180 quoting", () => {
    expect(parseCsvRecord('a,"b,c","say ""hi""",,""', ",")).toEqual(["a", "b,c", 'say "hi"', null, ""]);
    expect(parseCsvRecord("a,", ",")).toEqual(["a", null]);
    expect(parseCsvRecord('"open', ",")).toBe(parseCsvRecord('"x', ","));
    expect(parseCsvRecord('"a"x,b', ",")).toHaveProperty("error");
    expect(parseCsvRecord('a"b,c', ",")).toHaveProperty("error");
    expect(parseCsvRecord("a\tb", "\t")).toEqual(["a", "b"]);
  });
});

describe("readCsv", () => {
  test("without a schema: header names the fields, all strings; quotes, newlines in quotes, unicode", async () => {
    const f = write("a.csv", 'name,note\r\n"Smith, J","line1\r\nline2"\r\nZoë,"He said ""ok"" 🎉"\r\n\r\nempty,\r\n');
    const { source, out } = sourceOf(f);
    expect(out.schema.fields.map((x: any) => `${x.name}:${x.type}`)).toEqual(["name:Utf8", "note:Utf8"]);
    const { main } = await readAll(source);
    expect(main).toEqual([
      { name: "Smith, J", note: "line1\r\nline2" },
      { name: "Zoë", note: 'He said "ok" 🎉' },
      { name: "empty", note: null },
    ]);
  });

  test("with a schema: converted per type, empty → null, header maps by name", async () => {
    const f = write("t.csv", "flag,id,score,when,name,big\ntrue,1,1.5,2024-01-02T03:04:05Z,a,9007199254740993\n0,2,,1700000000000,,\n,,NaN,2024-01-02,\"\",-1\n");
    const s = schema({ id: t.int32(), name: t.string(), score: t.float64(), flag: t.bool(), when: t.timestamp(), big: t.int64() });
    const { source } = sourceOf(f, { schema: s });
    const { main } = await readAll(source);
    expect(main).toEqual([
      { id: 1, name: "a", score: 1.5, flag: true, when: Date.UTC(2024, 0, 2, 3, 4, 5), big: 9007199254740993n },
      { id: 2, name: null, score: null, flag: false, when: 1700000000000, big: null },
      { id: null, name: "", score: NaN, flag: null, when: Date.UTC(2024, 0, 2), big: -1 },
    ]);
  });

  test("no header: positional with a schema, column1.. without", async () => {
    const f = write("n.csv", "1,x\n2,y\n");
    const { source } = sourceOf(f, { header: false, schema: schema({ n: t.float64(), s: t.string() }) });
    expect((await readAll(source)).main).toEqual([{ n: 1, s: "x" }, { n: 2, s: "y" }]);
    const r = sourceOf(f, { header: false });
    expect(r.out.schema.fields.map((x: any) => x.name)).toEqual(["column1", "column2"]);
    expect((await readAll(r.source)).main).toEqual([{ column1: "1", column2: "x" }, { column1: "2", column2: "y" }]);
  });

  test("a delimiter option", async () => {
    const f = write("s.csv", "a;b\n1;\"x;y\"\n");
    expect((await readAll(sourceOf(f, { delimiter: ";" }).source)).main).toEqual([{ a: "1", b: "x;y" }]);
  });

  test("a malformed row fails naming file, line, value and fix", async () => {
    const f = write("bad.csv", "a,b\n1,2\n3\n");
    const err = await readAll(sourceOf(f).source).catch((e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err.message).toContain(`${f}:3`);
    expect(err.message).toContain('"3"');
    expect(err.rule).toMatch(/1 field but 2/);
    expect(err.fix).toMatch(/deadLetter: true/);
  });

  test("an unparsable number and an unterminated quote fail with their line", async () => {
    const f = write("num.csv", "x\n1\nabc\n");
    const e1 = await readAll(sourceOf(f, { schema: schema({ x: t.float64() }) }).source).catch((e) => e);
    expect(e1.message).toContain(`${f}:3`);
    expect(e1.message).toContain('"abc"');
    expect(e1.rule).toMatch(/must be a number/);
    const g = write("q.csv", 'a,b\n1,"never closed\n2,3\n');
    const e2 = await readAll(sourceOf(g).source).catch((e) => e);
    expect(e2).toBeInstanceOf(IOError);
    expect(e2.message).toContain(`${g}:2`);
    expect(e2.rule).toMatch(/unterminated quote/);
  });

  test("deadLetter: true routes bad rows to the dead-letter schema, with file, line and raw bytes, and keeps reading", async () => {
    const g = write("dl.csv", 'a,b\n1,2\n3\n4,x"y\n5,6\n7,"open\n8,9\n');
    const { source, out, p } = sourceOf(g, { deadLetter: true, schema: schema({ a: t.int32(), b: t.int32() }) });
    expect(Object.keys(out)).toEqual(["main", "deadLetter"]);
    expect(out.deadLetter.schema.fields.map((f: any) => f.name)).toEqual(deadLetterSchema.arrow.fields.map((f) => f.name));
    expect(p.graph().transforms["ReadCsv"].outputs).toHaveProperty("deadLetter");
    const { main, deadLetter } = await readAll(source);
    expect(main).toEqual([{ a: 1, b: 2 }, { a: 5, b: 6 }, { a: 8, b: 9 }]);
    expect(deadLetter.map((d) => [d.line, JSON.parse(d.element), Buffer.from(d.raw).toString()])).toEqual([[3, "3", "3"], [4, '4,x"y', '4,x"y'], [6, '7,"open', '7,"open']]);
    expect(deadLetter.every((d) => d.file === g && d.transform === "ReadCsv" && d.errorName === "IOError" && d.message.length > 0 && d.attempts === 1)).toBe(true);
  });

  test("a row that is not valid UTF-8 fails naming file and line, or is a dead letter, instead of becoming U+FFFD", async () => {
    const g = path.join(tmpDir(), "latin1.csv");
    // The second record spans lines 3 and 4 (a quoted newline); line 4 holds a Latin-1 "é".
    fs.writeFileSync(g, Buffer.concat([Buffer.from('a,b\n1,ok\n2,"two\nlines caf'), Buffer.from([0xe9]), Buffer.from('"\n3,'), Buffer.from([0xff]), Buffer.from("\n4,fine\n")]));
    const s2 = schema({ a: t.int32(), b: t.string() });
    const err = await readAll(sourceOf(g, { schema: s2 }).source).catch((e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err.message).toContain(`${g}:3`);
    expect(err.rule).toMatch(/not valid UTF-8.*line 4/);
    const { main, deadLetter } = await readAll(sourceOf(g, { schema: s2, deadLetter: true }).source);
    expect(main).toEqual([{ a: 1, b: "ok" }, { a: 4, b: "fine" }]);
    expect(deadLetter.map((d) => [d.file, d.line])).toEqual([[g, 3], [g, 5]]);
    expect(deadLetter.every((d) => /not valid UTF-8/.test(d.message))).toBe(true);
  });

  test("header problems and bad options", async () => {
    const f = write("h.csv", "a,c\n1,2\n");
    await expect(readAll(sourceOf(f, { schema: schema({ a: t.string(), b: t.string() }) }).source)).rejects.toThrow(/lacks the schema field "b"/);
    await expect(readAll(sourceOf(f, { schema: schema({ a: t.string() }) }).source)).rejects.toThrow(/does not declare/);
    expect(() => sourceOf(f, { delimiter: '"' })).toThrow(IOError);
    expect(() => sourceOf(f, { schema: schema({ a: t.list(t.string()) }) })).toThrow(SchemaError);
    const e = write("empty.csv", "");
    expect(() => sourceOf(e)).toThrow(/first file is empty/);
    expect(() => sourceOf(path.join(tmpDir(), "*.csv"))).toThrow(/matched no file/);
  });

  test("an empty file with a declared schema reads no rows", async () => {
    const e = write("empty.csv", "");
    expect((await readAll(sourceOf(e, { schema: schema({ a: t.string() }) }).source)).main).toEqual([]);
  });
});

describe("writeCsv", () => {
  const s = schema({ id: t.int64(), name: t.string(), score: t.float64(), ok: t.bool(), when: t.timestamp() });

  test("round trip with quoting, nulls vs empty strings, unicode, timestamps", async () => {
    const d = tmpDir();
    const rows = [
      { id: 1, name: 'a,b "c"\nd', score: 0.5, ok: true, when: Date.UTC(2020, 1, 3) },
      { id: 2, name: "", score: null, ok: false, when: null },
      { id: null, name: null, score: -1e-7, ok: null, when: 0 },
      { id: 4, name: "日本語 🎌", score: 3, ok: true, when: 1 },
    ];
    const files = await writeAll(new CsvSink(path.join(d, "o"), {}, s.arrow), s.arrow, rows);
    expect(fs.readFileSync(files[0], "utf8").split("\n")[0]).toBe("id,name,score,ok,when");
    const p = new Pipeline();
    p.apply(readCsv(files[0], { schema: s }));
    const { main } = await readAll(p.fn<CsvSource>("ReadCsv"));
    expect(main).toEqual(rows);
  });

  test("timestamps past what a Date holds are written, not a RangeError", () => {
    const when = s.arrow.fields[4].type;
    expect(csvField(9e15, when, ",")).toBe("+287168-08-24T16:00:00.000Z");
    expect(csvField(Date.UTC(2020, 1, 3), when, ",")).toBe("2020-02-03T00:00:00.000Z");
  });

  test("200k rows over 2 shards, tab-delimited, no header", async () => {
    const d = tmpDir();
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: `n\t${i}`, score: i / 7, ok: i % 2 === 0, when: i * 1000 }));
    const sink = new CsvSink(path.join(d, "big"), { header: false, delimiter: "\t", numShards: 2 }, s.arrow);
    const files = await writeAll(sink, s.arrow, rows, { shards: 2, batchRows: 30000 });
    expect(files.length).toBe(2);
    const p = new Pipeline();
    p.apply(readCsv(path.join(d, "big-*.csv"), { schema: s, header: false, delimiter: "\t" }));
    const { main, batches } = await readAll(p.fn<CsvSource>("ReadCsv"));
    expect(main.length).toBe(rows.length);
    expect(batches.every((b) => b.numRows <= 16384)).toBe(true);
    const byId = new Map(main.map((r: any) => [r.id, r]));
    expect(byId.get(123457)).toEqual(rows[123457]);
  });

  test("empty input writes a header-only file; a one-field null row is read back as null", async () => {
    const d = tmpDir();
    const files = await writeAll(new CsvSink(path.join(d, "e"), {}, s.arrow), s.arrow, []);
    expect(fs.readFileSync(files[0], "utf8")).toBe("id,name,score,ok,when\n");
    const one = schema({ v: t.string() });
    const f2 = await writeAll(new CsvSink(path.join(d, "one"), {}, one.arrow), one.arrow, [{ v: "a" }, { v: null }, { v: "" }]);
    const p = new Pipeline();
    p.apply(readCsv(f2[0], { schema: one }));
    expect((await readAll(p.fn<CsvSource>("ReadCsv"))).main).toEqual([{ v: "a" }, { v: null }, { v: "" }]);
  });

  test("declares a write primitive", () => {
    const d = tmpDir();
    const f = write("x.csv", "a\n1\n");
    const p = new Pipeline();
    p.apply(readCsv(f)).apply(writeCsv(path.join(d, "o"), { numShards: 2 }));
    expect(p.graph().transforms["WriteCsv"].payload).toMatchObject({ format: "csv", numShards: 2, suffix: ".csv" });
  });
});
