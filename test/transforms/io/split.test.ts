import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { type BoundedSource, recordBatchToRows, schema, t } from "beamline";
import type { JsonValue } from "../../../sdk/graph";
import { ArrowSink, ArrowSource, JsonLinesSource, nullableSchema, readArrowSchemaSync, TextSource } from "../../../transforms/io";
import { splitLineFiles } from "../../../transforms/io/files";
import { tmpDir, writeAll } from "./helpers";

/** Reads one part from `from`; returns the rows and the position after each chunk. */
async function readPart(source: BoundedSource, part: JsonValue, from: JsonValue | null = null): Promise<{ rows: unknown[]; positions: JsonValue[]; letters: any[] }> {
  const rows: unknown[] = [];
  const positions: JsonValue[] = [];
  const letters: any[] = [];
  for await (const chunk of source.read(part, from)) {
    if (chunk.batch) (chunk.tag === "deadLetter" ? letters : rows).push(...recordBatchToRows(chunk.batch.data));
    if (chunk.position !== undefined) positions.push(chunk.position);
  }
  return { rows, positions, letters };
}

/** Lines of varied length, some with `\r\n`, some multi-byte, about 3.5 MiB in all. */
function lines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `line ${i} ${"é".repeat(i % 13)}${"x".repeat((i * 7919) % 61)}`);
}

describe("splitting line-based files", () => {
  const d = tmpDir();
  const all = lines(60_000);
  const file = path.join(d, "big.txt");
  fs.writeFileSync(file, all.map((l, i) => (i % 5 === 0 ? `${l}\r\n` : `${l}\n`)).join(""));

  test("ranges start at line starts and cover every line exactly once, in order", async () => {
    const source = new TextSource(file);
    const parts = await source.split(3);
    expect(parts.length).toBe(3);
    const bytes = fs.readFileSync(file);
    for (const p of parts as { start: number; end: number }[]) {
      expect(p.start === 0 || bytes[p.start - 1] === 10).toBe(true);
    }
    expect((parts as { end: number }[])[2].end).toBe(bytes.length);
    const read: unknown[] = [];
    for (const p of parts) read.push(...(await readPart(source, p)).rows);
    expect(read).toEqual(all);
  });

  test("one part per file when asked for one, or when the file is small or gzipped", async () => {
    expect(await new TextSource(file).split(1)).toEqual([{ file }]);
    const small = path.join(d, "small.txt");
    fs.writeFileSync(small, "a\nb\n");
    expect(await new TextSource(small).split(4)).toEqual([{ file: small }]);
    const gz = path.join(d, "big.txt.gz");
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(file)));
    expect(await new TextSource(gz).split(4)).toEqual([{ file: gz }]);
    expect((await readPart(new TextSource(gz), { file: gz })).rows).toEqual(all);
  });

  test("a read resumed from any position of a range part reads the rest of that range only", async () => {
    const source = new TextSource(file);
    const [, second, third] = await source.split(3);
    const whole = await readPart(source, second);
    expect(whole.positions.length).toBe(2);
    const resumed = await readPart(source, second, whole.positions[0]);
    expect(resumed.rows.length).toBeGreaterThan(0);
    expect(resumed.rows).toEqual(whole.rows.slice(whole.rows.length - resumed.rows.length));
    const next = (await readPart(source, third)).rows;
    expect(all.indexOf(next[0] as string)).toBe(all.indexOf(resumed.rows[resumed.rows.length - 1] as string) + 1);
    const lastPos = whole.positions[whole.positions.length - 1];
    expect((await readPart(source, second, lastPos)).rows).toEqual([]);
  });

  test("JSON Lines parts carry the number of their first line: dead letters name the right line", async () => {
    const jf = path.join(d, "big.jsonl");
    const n = 50_000;
    const bad = 41_234;
    fs.writeFileSync(jf, Array.from({ length: n }, (_, i) => (i + 1 === bad ? "{oops" : JSON.stringify({ id: i, pad: "y".repeat(40) }))).join("\n") + "\n");
    const s = schema({ id: t.int64(), pad: t.string() });
    const source = new JsonLinesSource(jf, s.arrow, true);
    const parts = await source.split(2);
    expect(parts.length).toBe(2);
    expect(typeof (parts[1] as { line: number }).line).toBe("number");
    const first = await readPart(source, parts[0]);
    const second = await readPart(source, parts[1]);
    expect(first.rows.length + second.rows.length).toBe(n - 1);
    expect(second.letters.map((l) => l.line)).toEqual([bad]);
    expect(JSON.parse(second.letters[0].element)).toBe("{oops");
  });

  test("splitLineFiles gives whole files when there are as many files as parts wanted", () => {
    const a = path.join(d, "many", "a.txt");
    fs.mkdirSync(path.dirname(a), { recursive: true });
    fs.writeFileSync(a, "x\n".repeat(1 << 20));
    fs.writeFileSync(path.join(d, "many", "b.txt"), "y\n");
    expect(splitLineFiles(path.join(d, "many", "*.txt"), 2, "test")).toEqual([{ file: a }, { file: path.join(d, "many", "b.txt") }]);
    expect(splitLineFiles(path.join(d, "many", "*.txt"), 4, "test", { minBytes: 1 << 19 }).length).toBe(5);
  });
});

describe("splitting Arrow IPC files", () => {
  test("record-batch ranges cover every batch once; positions resume inside a range", async () => {
    const d = tmpDir();
    const s = schema({ id: t.int64() });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
    const [file] = await writeAll(new ArrowSink(path.join(d, "o"), {}, s.arrow), s.arrow, rows, { batchRows: 1000 });
    const source = new ArrowSource(file, nullableSchema(readArrowSchemaSync(file)));
    const parts = await source.split(3);
    expect(parts).toEqual([{ file, first: 0, end: 3 }, { file, first: 3, end: 6 }, { file, first: 6, end: 10 }]);
    const read: unknown[] = [];
    for (const p of parts) read.push(...(await readPart(source, p)).rows);
    expect(read).toEqual(rows);
    const last = await readPart(source, parts[2], { batch: 8 });
    expect(last.rows).toEqual(rows.slice(8000));
    expect(last.positions).toEqual([{ batch: 9 }, { batch: 10 }]);
    expect(await source.split(1)).toEqual([{ file }]);
  });
});
