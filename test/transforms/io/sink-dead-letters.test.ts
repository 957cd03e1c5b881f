/** File sinks' dead letters: rows a sink cannot write fail the run naming the row, or go to the write's dead-letter output. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as arrow from "apache-arrow";
import {
  collect, deadLetterSchema, IOError, Pipeline, readText, rowsToRecordBatch, runPipeline, schema, t, writeArrow, writeCsv,
  writeJsonLines, writeParquet, writeText, type DeadLetter,
} from "beamline";
import { globalBatch } from "../../../sdk/batch";
import { ArrowSink } from "../../../transforms/io/arrow";
import { CsvSink } from "../../../transforms/io/csv";
import { ParquetSink } from "../../../transforms/io/parquet";
import { startCli } from "../../runners/direct/checkpoint/children";
import { outputLines } from "../../runners/direct/parallel/files";
import { listFiles, tmpDir } from "./helpers";

const FIXTURE = path.join(__dirname, "fixtures", "copy-with-dead-letters.ts");

/** A text file whose lines 2 and 4 hold latin1 bytes that are not UTF-8. */
function mixedFile(dir: string): string {
  const file = path.join(dir, "in.txt");
  fs.writeFileSync(file, Buffer.concat([Buffer.from("one\n"), Buffer.from("café\n", "latin1"), Buffer.from("three ✓\n"), Buffer.from("naïve\n", "latin1"), Buffer.from("five\n")]));
  return file;
}

const writes = {
  text: (out: string, deadLetter: boolean) => (deadLetter ? writeText(out, { deadLetter: true }) : writeText(out)),
  jsonl: (out: string, deadLetter: boolean) => (deadLetter ? writeJsonLines(out, { deadLetter: true }) : writeJsonLines(out)),
  csv: (out: string, deadLetter: boolean) => (deadLetter ? writeCsv(out, { deadLetter: true }) : writeCsv(out)),
  parquet: (out: string, deadLetter: boolean) => (deadLetter ? writeParquet(out, { deadLetter: true }) : writeParquet(out)),
  arrow: (out: string, deadLetter: boolean) => (deadLetter ? writeArrow(out, { deadLetter: true }) : writeArrow(out)),
};

describe("file sinks' dead letters", () => {
  test.each(Object.keys(writes))("%s: a string that is not UTF-8 fails the run naming the row, and leaves no output", async (format) => {
    const d = tmpDir();
    const p = new Pipeline();
    p.apply(readText(mixedFile(d))).apply(writes[format as keyof typeof writes](path.join(d, "out", "o"), false) as any);
    const err = await runPipeline(p).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(IOError);
    expect(err.code).toBe("BL_IO_UNWRITABLE_ROW");
    expect(err.rule).toMatch(/not valid UTF-8/);
    expect(err.fix).toMatch(/deadLetter: true/);
    expect(fs.existsSync(path.join(d, "out")) ? listFiles(path.join(d, "out")) : []).toEqual([]);
  });

  test.each(Object.keys(writes))("%s: with deadLetter: true those rows go to the dead-letter output with their bytes, and the rest is written", async (format) => {
    const d = tmpDir();
    const p = new Pipeline();
    const { written, deadLetter } = p.apply("Read", readText(mixedFile(d))).apply("Write", writes[format as keyof typeof writes](path.join(d, "out", "o"), true) as any) as any;
    expect(deadLetter.schema.fields.map((f: arrow.Field) => f.name)).toEqual(deadLetterSchema.arrow.fields.map((f) => f.name));
    const files = collect(written, "Files");
    const dead = collect<DeadLetter>(deadLetter, "Dead");
    await runPipeline(p);
    expect(files.rows.length).toBe(1);
    const published = (files.rows[0] as { file: string }).file;
    expect(dead.rows.map((l) => Buffer.from(l.raw!).toString("latin1")).sort()).toEqual(["café", "naïve"]);
    for (const l of dead.rows) {
      expect([l.transform, l.errorName, l.file, l.attempts, l.topic]).toEqual(["Write", "IOError", published, 1, null]);
      expect(l.message).toMatch(/not valid UTF-8/);
    }
    // What was written reads back as the three good lines, whatever the format.
    if (format === "text") expect(fs.readFileSync(published, "utf8")).toBe("one\nthree ✓\nfive\n");
    if (format === "jsonl") expect(fs.readFileSync(published, "utf8")).toBe('"one"\n"three ✓"\n"five"\n');
  });

  test("the dead letters are an ordinary PCollection: written to a file of their own, read back", async () => {
    const d = tmpDir();
    const p = new Pipeline();
    const { deadLetter } = p.apply(readText(mixedFile(d))).apply(writeText(path.join(d, "good"), { deadLetter: true }));
    deadLetter.apply(writeJsonLines(path.join(d, "bad")));
    await runPipeline(p);
    const q = new Pipeline();
    const back = collect<string>(q.apply(readText(path.join(d, "bad-*.jsonl"))));
    await runPipeline(q);
    // JSON Lines keeps bytes as base64.
    expect(back.rows.map((line) => JSON.parse(line)).map((l) => [l.element, Buffer.from(l.raw, "base64").toString("latin1")]).sort()).toEqual([[JSON.stringify("caf\uFFFD"), "café"], [JSON.stringify("na\uFFFDve"), "naïve"]]);
  });

  describe.each([
    ["csv", (prefix: string, deadLetter: boolean) => new CsvSink(prefix, { deadLetter })],
    ["parquet", (prefix: string, deadLetter: boolean) => new ParquetSink(prefix, { deadLetter })],
    ["arrow", (prefix: string, deadLetter: boolean) => new ArrowSink(prefix, { deadLetter })],
  ])("%s, whose files have one schema, with rows whose schema is inferred at run time", (_format, makeSink) => {
    const first = rowsToRecordBatch([{ id: 1, name: "a" }, { id: 2, name: "b" }], schema({ id: t.int64(), name: t.string() }).arrow, "test");
    const other = rowsToRecordBatch([{ id: "3", name: "c" }], schema({ id: t.string(), name: t.string() }).arrow, "test");

    test("a batch whose fields differ from the file's fails the write", async () => {
      const sink = makeSink(path.join(tmpDir(), "o"), false);
      const w = await sink.createWriter({ index: 0, count: 1 });
      await w.write(globalBatch(first));
      const err = await Promise.resolve().then(() => w.write(globalBatch(other))).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(IOError);
      expect(err.rule).toMatch(/file's fields \(id: Int64, name: Utf8\)/);
      await w.abort();
    });

    test("with a dead-letter output its rows go there, and the file holds the rows that fit", async () => {
      const sink = makeSink(path.join(tmpDir(), "o"), true);
      const letters: DeadLetter[] = [];
      const w = await sink.createWriter({ index: 0, count: 1, transform: "Write", deadLetter: (l) => letters.push(...l) });
      await w.write(globalBatch(first));
      await w.write(globalBatch(other));
      const [published] = await sink.committer.commit(await w.prepareCommit(null));
      expect(letters.map((l) => [l.transform, JSON.parse(l.element), l.file])).toEqual([["Write", { id: "3", name: "c" }, published]]);
      expect(fs.statSync(published).size).toBeGreaterThan(0);
    });
  });
});

describe("file sinks' dead letters through --resume", () => {
  test("killed after a checkpoint and resumed: every line is written or dead-lettered exactly once", async () => {
    const root = tmpDir();
    const input = path.join(root, "in.txt");
    // Every 50th line holds latin1 bytes that are not UTF-8.
    const lines = Array.from({ length: 200_000 }, (_, i) => (i % 50 === 7 ? `caf\u00e9-${i}` : `line-${i}`));
    fs.writeFileSync(input, Buffer.concat(lines.map((l, i) => Buffer.from(`${l}\n`, i % 50 === 7 ? "latin1" : "utf8"))));
    for (let k = 2; k <= 8; k++) {
      const out = path.join(root, `out-${k}`);
      const dir = path.join(root, `chk-${k}`);
      const args = [`--input=${input}`, `--output=${path.join(out, "copy")}`, `--dead=${path.join(out, "dead")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=50", "--parallelism=2"];
      const killed = await startCli(FIXTURE, args, { BEAMLINE_FAULT: `checkpoint-files:${k}` }).exit;
      expect(killed.signal).toBe("SIGKILL");
      // Only a kill after a checkpoint that published dead letters proves they are not repeated.
      if (!fs.existsSync(out) || !fs.readdirSync(out).some((f) => f.startsWith("dead-chk"))) continue;
      const resumed = await startCli(FIXTURE, [...args, "--resume"]).exit;
      expect(resumed.err).not.toMatch(/BL_/);
      expect(resumed.code).toBe(0);
      const dead = outputLines(out, "dead").map((l) => JSON.parse(l) as { raw: string; transform: string });
      expect(dead.every((l) => l.transform === "Write")).toBe(true);
      const deadLines = dead.map((l) => Buffer.from(l.raw, "base64").toString("latin1"));
      expect([...outputLines(out, "copy"), ...deadLines].sort()).toEqual([...lines].sort());
      expect(deadLines.length).toBe(lines.filter((l) => l.startsWith("caf")).length);
      return;
    }
    throw new Error("no kill came after a checkpoint that published dead letters");
  }, 120_000);
});
