/**
 * gs:// files against fake-gcs-server: every format (text, CSV, JSON Lines, Arrow IPC, Parquet) written
 * to and read from gs://, globs and gzip, Arrow and Parquet read in parts by ranged requests, sharded
 * output published only when complete, the committer's contract on Cloud Storage, a checkpointed run
 * killed (`kill -9`) and resumed writing to gs:// with exact output, and the README's word count.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { Storage } from "@google-cloud/storage";
import { Float64, Table, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { buildPipeline, collect, create, DirectRunner, IOError, Pipeline, readArrow, readCsv, readJsonLines, readParquet, readText, recordBatchToRows, schema, t, writeArrow, writeCsv, writeJsonLines, writeParquet, writeText } from "beamline";
import wordcount from "../../examples/wordcount";
import { ArrowSource, ParquetSource } from "../../transforms/io";
import { FileCommitter } from "../../transforms/io/files";
import { GcsStorage } from "../../transforms/io/files/gcs-storage";
import { rng, tempDir } from "../helpers";
import { outputLines } from "../runners/direct/parallel/files";
import { killThenResume, startCli, startNode } from "../runners/direct/checkpoint/children";
import { checkpointGolden } from "../runners/direct/checkpoint/pipelines";
import { runShellCommands, shellSnippet } from "../readme-snippet";
import { describeWithGcs } from "./services";

const BUCKET = "beamline-test";
const DATA = path.join(__dirname, "..", "..", "examples", "data");
const WORDCOUNT = path.join(__dirname, "..", "..", "examples", "wordcount.ts");

describeWithGcs("gs:// files on fake-gcs-server", (gcs) => {
  let storage: Storage;
  const root = tempDir("beamline-gcs-");

  beforeAll(async () => {
    process.env.STORAGE_EMULATOR_HOST = gcs().storageEmulatorHost;
    process.env.METADATA_SERVER_DETECTION = "none";
    const { Storage: Client } = await import("@google-cloud/storage");
    storage = new Client({ projectId: "test", apiEndpoint: gcs().url });
    await storage.createBucket(BUCKET);
  });

  /** Every object name under a prefix. */
  async function names(prefix: string): Promise<string[]> {
    const [files] = await storage.bucket(BUCKET).getFiles({ prefix });
    return files.map((f) => f.name).sort();
  }

  /** Every non-empty line of the objects whose names start with `prefix` (gunzipped when named .gz), sorted. */
  async function objectLines(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await names(prefix)) {
      const [bytes] = await storage.bucket(BUCKET).file(name).download();
      const text = (name.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
      out.push(...text.split("\n").filter((l) => l !== ""));
    }
    return out.sort();
  }

  /** The environment that points a child process at the emulator. */
  function emulatorEnv(): Record<string, string> {
    return { STORAGE_EMULATOR_HOST: gcs().storageEmulatorHost, METADATA_SERVER_DETECTION: "none" };
  }

  async function put(name: string, bytes: Buffer | string): Promise<void> {
    await storage.bucket(BUCKET).file(name).save(bytes, { resumable: false });
  }

  test("wordcount reads a gs:// glob (one file gzipped) and writes three gs:// shards, the same counts as on local files", async () => {
    const [gettysburg, cities] = ["gettysburg.txt", "two-cities.txt"].map((f) => fs.readFileSync(path.join(DATA, f)));
    await put("wc/in/gettysburg.txt", gettysburg);
    await put("wc/in/two-cities.txt.gz", zlib.gzipSync(cities));
    await put("wc/other/ignored.txt", "ignored ignored ignored\n");
    const local = path.join(root, "wc", "out");
    await new DirectRunner({ parallelism: 2 }).run(buildPipeline(wordcount, { input: path.join(DATA, "*.txt"), output: local, shards: 3 }));
    const expected = outputLines(path.dirname(local), "out-");

    // The command in a process of its own: worker threads take the environment of the process, which jest keeps from its tests.
    const run = await startCli(WORDCOUNT, ["--runner=direct", "--parallelism=2", `--input=gs://${BUCKET}/wc/in/*`, `--output=gs://${BUCKET}/wc/out/counts`, "--shards=3"], emulatorEnv()).exit;
    expect(run.err).toMatch(/wordcount.ts done on the direct runner .* 2 threads/);
    expect(run.code).toBe(0);
    expect(await names("wc/out/")).toEqual([0, 1, 2].map((i) => `wc/out/counts-0000${i}-of-00003.txt`));
    expect(await objectLines("wc/out/counts")).toEqual(expected);
    expect(expected.length).toBeGreaterThan(100);
    expect(expected).not.toContain("ignored: 3");
  }, 60_000);

  test("the README's word count on the emulator runs as written: uploaded inputs, gs:// output, printed counts the same as on local files", async () => {
    const local = path.join(root, "readme-local", "out");
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(wordcount, { input: path.join(DATA, "*.txt"), output: local }));
    const expected = outputLines(path.dirname(local), "out-");
    const commands = shellSnippet("gcs-wordcount");
    expect(commands).toHaveLength(3);
    const r = runShellCommands(commands, { STORAGE_EMULATOR_HOST: gcs().storageEmulatorHost, METADATA_SERVER_DETECTION: undefined }, root);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    expect(r.out.split("\n").filter((l) => l !== "").sort()).toEqual(expected);
    expect((await storage.bucket("beamline-demo").getFiles({ prefix: "out/" }))[0].map((f) => f.name)).toEqual(["out/counts-00000-of-00001.txt"]);
  }, 120_000);

  test("globs: * stays in one directory, ** and {a,b} cross them; gzip output is named .gz and reads back", async () => {
    await put("g/a.txt", "a\n");
    await put("g/b.txt", "b\n");
    await put("g/sub/c.txt", "c\n");
    await put("g/sub/deep/d.log", "d\n");
    const read = async (pattern: string, out: string) => {
      const p = new Pipeline();
      p.apply("Read", readText(pattern)).apply("Write", writeText(`gs://${BUCKET}/${out}`, { compression: "gzip" }));
      await new DirectRunner({ parallelism: 1 }).run(p);
      expect(await names(`${out}-`)).toEqual([`${out}-00000-of-00001.txt.gz`]);
      return objectLines(`${out}-`);
    };
    expect(await read(`gs://${BUCKET}/g/*.txt`, "g-out/star")).toEqual(["a", "b"]);
    expect(await read(`gs://${BUCKET}/g/**`, "g-out/globstar")).toEqual(["a", "b", "c", "d"]);
    expect(await read(`gs://${BUCKET}/g/{a.txt,sub/*.txt}`, "g-out/braces")).toEqual(["a", "c"]);
    expect(await read(`gs://${BUCKET}/g-out/star-*.gz`, "g-out/again")).toEqual(["a", "b"]);
  }, 60_000);

  test("CSV and JSON Lines with a declared schema read and write gs:// (gzip too); without one, the read says to declare it", async () => {
    await put("tab/a.csv", "name,n\nada,1\nbob,2\n");
    await put("tab/b.csv.gz", zlib.gzipSync("name,n\ncy,3\n"));
    const rows = schema({ name: t.string(), n: t.int64() });
    const p = new Pipeline();
    const read = p.apply("Read", readCsv(`gs://${BUCKET}/tab/*.csv*`, { schema: rows }));
    read.apply("WriteJson", writeJsonLines(`gs://${BUCKET}/tab-out/rows`, { compression: "gzip" }));
    read.apply("WriteCsv", writeCsv(`gs://${BUCKET}/tab-out/copy`, { compression: "gzip" }));
    await new DirectRunner({ parallelism: 1 }).run(p);
    expect(await objectLines("tab-out/rows-")).toEqual(['{"name":"ada","n":1}', '{"name":"bob","n":2}', '{"name":"cy","n":3}']);
    expect(await names("tab-out/copy-")).toEqual(["tab-out/copy-00000-of-00001.csv.gz"]);
    expect(await objectLines("tab-out/copy-")).toEqual(["ada,1", "bob,2", "cy,3", "name,n"]);

    const back = new Pipeline();
    back.apply("Read", readJsonLines(`gs://${BUCKET}/tab-out/rows-*.jsonl.gz`, { schema: rows })).map((r) => `${r.name}=${r.n}`, { name: "Format" }).apply("Write", writeText(`gs://${BUCKET}/tab-out/back`));
    await new DirectRunner({ parallelism: 1 }).run(back);
    expect(await objectLines("tab-out/back-")).toEqual(["ada=1", "bob=2", "cy=3"]);

    expect(() => new Pipeline().apply("Read", readCsv(`gs://${BUCKET}/tab/*.csv`))).toThrow(expect.objectContaining({ code: "BL_IO_REMOTE_WHILE_BUILDING" }));
    expect(() => new Pipeline().apply("Read", readJsonLines(`gs://${BUCKET}/tab-out/*.jsonl.gz`))).toThrow(expect.objectContaining({ code: "BL_IO_REMOTE_WHILE_BUILDING" }));
  }, 60_000);

  test("Arrow and Parquet write gs:// shards and read them back from a gs:// glob, split by record batch and row group; an Arrow stream reads too", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ name: `r${i}`, n: i }));
    const typed = schema({ name: t.string(), n: t.float64() });
    const p = new Pipeline();
    const input = p.apply("Rows", create(rows, { schema: typed }));
    input.apply("WriteArrow", writeArrow(`gs://${BUCKET}/columnar/rows`, { numShards: 2 }));
    input.apply("WriteParquet", writeParquet(`gs://${BUCKET}/columnar/rows`, { numShards: 2, rowGroupRows: 500 }));
    input.apply("WriteOne", writeParquet(`gs://${BUCKET}/columnar/one`, { rowGroupRows: 500 }));
    await new DirectRunner({ parallelism: 1 }).run(p);
    expect((await names("columnar/")).filter((n) => n.includes(".beamline-staging-"))).toEqual([]);
    expect(await names("columnar/rows-")).toEqual(["arrow", "parquet"].flatMap((ext) => [0, 1].map((i) => `columnar/rows-0000${i}-of-00002.${ext}`)).sort());
    const table = (from: number, to: number) => {
      const slice = rows.slice(from, to);
      return new Table({ name: vectorFromArray(slice.map((r) => r.name), new Utf8()), n: vectorFromArray(slice.map((r) => r.n), new Float64()) });
    };
    await put("columnar/stream.arrows", Buffer.from(tableToIPC(table(0, 2), "stream")));
    await put("columnar/batches.arrow", Buffer.from(tableToIPC(table(0, 100).concat(table(100, 200), table(200, 300)), "file")));

    const byN = (out: { rows: readonly unknown[] }) => [...out.rows].sort((a, b) => (a as { n: number }).n - (b as { n: number }).n);
    const q = new Pipeline();
    const arrowRows = collect(q.apply("ReadArrow", readArrow(`gs://${BUCKET}/columnar/rows-*.arrow`, { schema: typed })), "CollectArrow");
    const parquetRows = collect(q.apply("ReadParquet", readParquet(`gs://${BUCKET}/columnar/rows-*.parquet`, { schema: typed })), "CollectParquet");
    const streamRows = collect(q.apply("ReadStream", readArrow(`gs://${BUCKET}/columnar/stream.arrows`, { schema: typed })), "CollectStream");
    await new DirectRunner({ parallelism: 2 }).run(q);
    expect(byN(arrowRows)).toEqual(rows);
    expect(byN(parquetRows)).toEqual(rows);
    expect(streamRows.rows).toEqual(rows.slice(0, 2));

    // One object read in parts: Arrow by ranges of record batches, Parquet by row group, each part by ranged requests.
    const arrowSource = new ArrowSource(`gs://${BUCKET}/columnar/batches.arrow`, typed.arrow);
    const arrowParts = await arrowSource.split(3);
    expect(arrowParts).toEqual([0, 1, 2].map((i) => ({ file: `gs://${BUCKET}/columnar/batches.arrow`, first: i, end: i + 1 })));
    const second: unknown[] = [];
    for await (const chunk of arrowSource.read(arrowParts[1], null)) second.push(...recordBatchToRows(chunk.batch!.data));
    expect(second).toEqual(rows.slice(100, 200));
    const parquetSource = new ParquetSource(`gs://${BUCKET}/columnar/one-00000-of-00001.parquet`, typed.arrow);
    const parquetParts = await parquetSource.split(1);
    expect(parquetParts).toHaveLength(6);
    // The bytes asked of Cloud Storage for one row group: its footer and its columns, a small part of the object.
    const requested: number[] = [];
    const realOpenRead = GcsStorage.prototype.openRead;
    const openRead = jest.spyOn(GcsStorage.prototype, "openRead").mockImplementation(function (this: GcsStorage, file: string, start = 0, end?: number) {
      requested.push((end ?? Infinity) - start);
      return realOpenRead.call(this, file, start, end);
    });
    const third: unknown[] = [];
    try {
      for await (const chunk of parquetSource.read(parquetParts[2], null)) third.push(...recordBatchToRows(chunk.batch!.data));
    } finally {
      openRead.mockRestore();
    }
    expect(third).toEqual(rows.slice(1000, 1500));
    const objectSize = await new GcsStorage().size(`gs://${BUCKET}/columnar/one-00000-of-00001.parquet`);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.reduce((a, b) => a + b, 0)).toBeLessThan(objectSize / 2);

    // Without a schema, a gs:// read says to declare it; a missing object fails the run naming it.
    expect(() => new Pipeline().apply("Read", readParquet(`gs://${BUCKET}/columnar/*.parquet`))).toThrow(expect.objectContaining({ code: "BL_IO_REMOTE_WHILE_BUILDING" }));
    expect(() => new Pipeline().apply("Read", readArrow(`gs://${BUCKET}/columnar/*.arrow`))).toThrow(expect.objectContaining({ code: "BL_IO_REMOTE_WHILE_BUILDING" }));
    const missing = new Pipeline();
    missing.apply("Read", readArrow(`gs://${BUCKET}/columnar/none.arrow`, { schema: typed }));
    await expect(new DirectRunner({ parallelism: 1 }).run(missing)).rejects.toMatchObject({ code: "BL_IO_NO_MATCH" });
  }, 60_000);

  test("a gs:// pattern that matches nothing fails the run with BL_IO_NO_MATCH", async () => {
    const p = new Pipeline();
    p.apply("Read", readText(`gs://${BUCKET}/nothing/*.txt`)).apply("Write", writeText(path.join(root, "none")));
    await expect(new DirectRunner({ parallelism: 1 }).run(p)).rejects.toMatchObject({ code: "BL_IO_NO_MATCH" });
  }, 30_000);

  test("the committer on gs://: a commit publishes and clears staging, and committing again is done, even after a consumer removed the file", async () => {
    const staging = `gs://${BUCKET}/c/.beamline-staging-x`;
    const file = { staging, staged: `${staging}/part.txt`, final: `gs://${BUCKET}/c/part.txt` };
    await put("c/.beamline-staging-x/part.txt", "one\n");
    const committer = new FileCommitter();
    expect(await committer.commit([file])).toEqual([file.final]);
    expect(await names("c/")).toEqual(["c/part.txt"]);
    expect(await committer.commit([file])).toEqual([file.final]);
    await storage.bucket(BUCKET).file("c/part.txt").delete();
    expect(await committer.commit([file])).toEqual([file.final]);
    expect(await names("c/")).toEqual([]);

    // A commit cut short after the copy: the marker and the staged file are both there; committing again finishes it.
    await put("c/.beamline-staging-y/part2.txt", "two\n");
    await put("c/.beamline-staging-y/.beamline-published", "");
    await put("c/part2.txt", "two\n");
    const cut = { staging: `gs://${BUCKET}/c/.beamline-staging-y`, staged: `gs://${BUCKET}/c/.beamline-staging-y/part2.txt`, final: `gs://${BUCKET}/c/part2.txt` };
    expect(await committer.commit([cut])).toEqual([cut.final]);
    expect(await names("c/")).toEqual(["c/part2.txt"]);

    // A staged file gone from a staging directory that was never marked published is lost.
    await put("c/.beamline-staging-z/other", "x");
    const lost = { staging: `gs://${BUCKET}/c/.beamline-staging-z`, staged: `gs://${BUCKET}/c/.beamline-staging-z/part3.txt`, final: `gs://${BUCKET}/c/part3.txt` };
    await expect(committer.commit([lost])).rejects.toMatchObject({ code: "BL_IO_STAGED_LOST" });
    await expect(committer.commit([lost])).rejects.toBeInstanceOf(IOError);
  }, 30_000);

  test("kill -9 of a checkpointed run reading and writing gs://, then --resume: exact output, nothing left staged", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(`${(i * 7919) % 97},${i % 1000},${i * 10},w${(i * 31) % 53}`);
    const input = path.join(root, "golden-in.txt");
    fs.writeFileSync(input, `${lines.join("\n")}\n`);
    await put("golden/in.txt", fs.readFileSync(input));
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(checkpointGolden, { input, output: path.join(root, "golden", "g") }));
    const golden = outputLines(path.join(root, "golden"), "g-");
    expect(golden.length).toBeGreaterThan(1000);

    const script = path.join(__dirname, "..", "runners", "direct", "checkpoint", "run-golden.ts");
    const child = (args: string[]) => startNode(["--import", "tsx", script, ...args], emulatorEnv());
    const random = rng(17);
    let kills = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const out = `killed-${attempt}`;
      const dir = path.join(root, `chk-${attempt}`);
      const args = [`gs://${BUCKET}/golden/in.txt`, `gs://${BUCKET}/${out}/g`, dir, "20", "1"];
      const { killed, resumed } = await killThenResume(child, args, dir, Math.floor(random() * 300));
      expect(resumed.err).toBe("");
      expect(resumed.code).toBe(0);
      if (killed.signal === "SIGKILL") {
        kills++;
        expect(JSON.parse(resumed.out.slice(5)).restoredFrom).toBeGreaterThan(0);
      }
      expect(await objectLines(`${out}/g-`)).toEqual(golden);
      expect((await names(`${out}/`)).filter((n) => n.includes(".beamline-staging-"))).toEqual([]);
    }
    expect(kills).toBeGreaterThan(0);
  }, 180_000);
});
