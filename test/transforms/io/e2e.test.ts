/** One end-to-end pipeline per format through the direct runner, imported the way users do. */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  collect, IOError, Pipeline, readArrow, readCsv, readJsonLines, readParquet, readText, runPipeline, schema, t, writeArrow, writeCsv,
  writeJsonLines, writeParquet, writeText,
} from "beamline";
import { listFiles, tmpDir } from "./helpers";

const s = schema({ id: t.int64(), name: t.string(), score: t.float64() });
const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: i % 9 ? `name ${i} ✓` : null, score: i / 4 }));

function sortById(xs: any[]): any[] {
  return [...xs].sort((a, b) => a.id - b.id);
}

describe("end to end through the direct runner", () => {
  test("text: read → write → read", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "in.txt"), "a\r\nb 🎉\n\nlast");
    const p = new Pipeline();
    const written = collect(p.apply(readText(path.join(d, "in.txt"))).apply(writeText(path.join(d, "out", "o"), { numShards: 2 })));
    await runPipeline(p);
    expect(written.rows.map((r) => path.basename(r.file)).sort()).toEqual(["o-00000-of-00002.txt", "o-00001-of-00002.txt"]);
    expect(listFiles(path.join(d, "out"))).toEqual(["o-00000-of-00002.txt", "o-00001-of-00002.txt"]);
    const q = new Pipeline();
    const back = collect(q.apply(readText(path.join(d, "out", "o-*.txt"))));
    await runPipeline(q);
    expect(back.rows.sort()).toEqual(["", "a", "b 🎉", "last"]);
  });

  test("csv: read with dead letters → write both", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "in.csv"), 'id,name,score\n1,"a, b",1.5\n2,x,notanumber\n3,,2\n');
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(readCsv(path.join(d, "in.csv"), { schema: s, deadLetter: true }));
    main.apply(writeCsv(path.join(d, "good")));
    const dead = collect(deadLetter);
    await runPipeline(p);
    expect(dead.rows.map((r) => [r.line, Buffer.from(r.raw!).toString()])).toEqual([[3, "2,x,notanumber"]]);
    expect(fs.readFileSync(path.join(d, "good-00000-of-00001.csv"), "utf8")).toBe('id,name,score\n1,"a, b",1.5\n3,,2\n');
  });

  test("csv: a malformed row fails the run and leaves no output file", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "in.csv"), "id,name,score\n1,a,1\n2,b\n");
    const p = new Pipeline();
    p.apply(readCsv(path.join(d, "in.csv"), { schema: s })).apply(writeCsv(path.join(d, "out", "o")));
    await expect(runPipeline(p)).rejects.toThrow(IOError);
    expect(fs.existsSync(path.join(d, "out")) ? listFiles(path.join(d, "out")) : []).toEqual([]);
  });

  test("csv and jsonl: bytes that are not UTF-8 fail the run naming file and line, or become dead letters", async () => {
    const d = tmpDir();
    const latin1 = (head: string, bad: string, tail: string) => Buffer.concat([Buffer.from(head), Buffer.from(bad, "latin1"), Buffer.from(tail)]);
    fs.writeFileSync(path.join(d, "in.csv"), latin1("id,name,score\n1,ok,1\n2,caf", "é", ",2\n3,fine,3\n"));
    fs.writeFileSync(path.join(d, "in.jsonl"), latin1('{"id":1,"name":"ok","score":1}\n{"id":2,"name":"caf', "é", '","score":2}\n'));
    for (const read of [readCsv(path.join(d, "in.csv"), { schema: s }), readJsonLines(path.join(d, "in.jsonl"), { schema: s })]) {
      const p = new Pipeline();
      p.apply(read);
      const err = await runPipeline(p).catch((e) => e);
      expect(err).toBeInstanceOf(IOError);
      expect(err.message).toMatch(/in\.(csv|jsonl):[23]\b/);
      expect(err.rule).toMatch(/not valid UTF-8/);
    }
    const p = new Pipeline();
    const csv = p.apply("Csv", readCsv(path.join(d, "in.csv"), { schema: s, deadLetter: true }));
    const jsonl = p.apply("Jsonl", readJsonLines(path.join(d, "in.jsonl"), { schema: s, deadLetter: true }));
    const good = collect(csv.main, "Good");
    const dead = [collect(csv.deadLetter, "CsvDead"), collect(jsonl.deadLetter, "JsonlDead")];
    await runPipeline(p);
    expect(sortById(good.rows).map((r) => r.name)).toEqual(["ok", "fine"]);
    expect(dead.map((c) => c.rows.map((r) => [path.basename(r.file!), r.line]))).toEqual([[["in.csv", 3]], [["in.jsonl", 2]]]);
  });

  test("jsonl, arrow and parquet: a chain of round trips keeps every row", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "in.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const p1 = new Pipeline();
    p1.apply(readJsonLines(path.join(d, "in.jsonl"), { schema: s })).apply(writeArrow(path.join(d, "a")));
    await runPipeline(p1);
    const p2 = new Pipeline();
    p2.apply(readArrow(path.join(d, "a-*.arrow"))).apply(writeParquet(path.join(d, "p")));
    await runPipeline(p2);
    const p3 = new Pipeline();
    p3.apply(readParquet(path.join(d, "p-*.parquet"))).apply(writeJsonLines(path.join(d, "j")));
    await runPipeline(p3);
    const p4 = new Pipeline();
    const back = collect(p4.apply(readJsonLines(path.join(d, "j-*.jsonl"), { schema: s })));
    await runPipeline(p4);
    expect(sortById(back.rows)).toEqual(rows);
  });
});

describe("writeArrow after an aggregation", () => {
  test("every output batch lands in the file, under one schema", async () => {
    const { Pipeline, create, groupBy, sum, count, writeArrow, readArrow, collect, runPipeline } = await import("beamline");
    const { tempDir } = await import("../../helpers");
    const dir = tempDir();
    const p = new Pipeline();
    p.apply(create(Array.from({ length: 5000 }, (_, i) => ({ k: i % 3000, v: 1 }))))
      .apply(groupBy("k").aggregate({ n: count(), s: sum("v") }))
      .apply(writeArrow(`${dir}/agg`));
    const { DirectRunner } = await import("beamline");
    await new DirectRunner({ batchSize: 1000 }).run(p);
    const q = new Pipeline();
    const back = collect(q.apply(readArrow(`${dir}/agg-*.arrow`)));
    await runPipeline(q);
    expect(back.rows.length).toBe(3000);
    expect((back.rows as { k: number; n: number }[]).filter((r) => r.k < 2000).every((r) => r.n === 2)).toBe(true);
    void runPipeline;
  });
});
