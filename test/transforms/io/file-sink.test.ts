/**
 * The file sinks on the two-phase sink contract: writers stage and prepare, the committer renames
 * into place (idempotently), abort and recovery leave nothing where output belongs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { create, IOError, Pipeline, rowsToRecordBatch, schema, t, writeTo } from "beamline";
import { globalBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import { recoverSink } from "../../../sdk/sink";
import { ByteFileWriter, FileSink, PUBLISHED_MARKER, STAGING_PREFIX, StagingArea, type FileShardWriter } from "../../../transforms/io/files";
import { listFiles, tmpDir } from "./helpers";

/** A file sink writing one value per line, failing on a value that contains `failOn`. */
class LinesSink extends FileSink {
  failOn: string | null = null;
  protected async openFile(staged: string): Promise<FileShardWriter> {
    const out = new ByteFileWriter(staged, "none");
    return {
      write: (b) => {
        const v = b.getChildAt(0)!.toArray().join("\n") + "\n";
        if (this.failOn && v.includes(this.failOn)) throw new Error("boom");
        return out.write(v);
      },
      finish: () => out.end(),
      destroy: () => out.destroy(),
    };
  }
}

const s = schema({ x: t.string() }).arrow;
const batch = (xs: string[]) => globalBatch(rowsToRecordBatch(xs.map((x) => ({ x })), s, "test"));
const read = (f: string) => fs.readFileSync(f, "utf8");

/** A sink writing `<d>/<sub…>/part` in a fresh directory `d`, whose one writer staged "a" and prepared it at `checkpointId`. */
async function stagedA(checkpointId: number | null, ...sub: string[]) {
  const d = tmpDir();
  const sink = new LinesSink({ prefix: path.join(d, ...sub, "part"), suffix: ".txt" });
  const w = await sink.createWriter({ index: 0, count: 1 });
  await w.write(batch(["a"]));
  const staged = await w.prepareCommit(checkpointId);
  return { d, sink, staged, file: staged[0] as { staging: string; staged: string; final: string } };
}

describe("FileSink writers and committer", () => {
  test("stages next to the output, commits by renaming, removes the staging dirs", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "out", "part"), suffix: ".txt", numShards: 2 });
    const w0 = await sink.createWriter({ index: 0, count: 2 });
    const w1 = await sink.createWriter({ index: 1, count: 2 });
    await w0.write(batch(["a", "b"]));
    await w1.write(batch(["c"]));
    const staged = [...(await w0.prepareCommit(null)), ...(await w1.prepareCommit(null))];
    const during = listFiles(d);
    expect(during.every((f) => f.startsWith(`out/${STAGING_PREFIX}`))).toBe(true);
    expect(during.length).toBe(2);
    const published = await sink.committer.commit(staged);
    expect(published).toEqual([path.join(d, "out/part-00000-of-00002.txt"), path.join(d, "out/part-00001-of-00002.txt")]);
    expect(listFiles(d)).toEqual(["out/part-00000-of-00002.txt", "out/part-00001-of-00002.txt"]);
    expect(read(published[0])).toBe("a\nb\n");
  });

  test("commit is idempotent: committing twice publishes once, and the second is no error", async () => {
    const { d, sink, staged } = await stagedA(3);
    const first = await sink.committer.commit(staged);
    const after = listFiles(d);
    // A crash after part of a commit: the second commit sees the file published and publishes nothing more.
    const second = await sink.committer.commit(staged);
    expect(second).toEqual(first);
    expect(listFiles(d)).toEqual(after);
    expect(after).toEqual(["part-chk00003-00000-of-00001.txt"]);
    expect(read(first[0])).toBe("a\n");
  });

  test("a prepare at a checkpoint names the file after it; the writer goes on in a new file; nothing written, nothing prepared", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "part"), suffix: ".txt" });
    const w = await sink.createWriter({ index: 0, count: 1 });
    await w.write(batch(["a"]));
    const c1 = await w.prepareCommit(1);
    expect(await w.prepareCommit(2)).toEqual([]);
    await w.write(batch(["b"]));
    const c3 = await w.prepareCommit(3);
    expect(c1.length).toBe(1);
    expect(c3.length).toBe(1);
    const files = await sink.committer.commit([...c1, ...c3]);
    expect(files.map((f) => path.basename(f))).toEqual(["part-chk00001-00000-of-00001.txt", "part-chk00003-00000-of-00001.txt"]);
    expect(files.map(read)).toEqual(["a\n", "b\n"]);
  });

  test("the only prepare of a run without checkpoints stages a file even when nothing was written", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "part"), suffix: ".txt" });
    const w = await sink.createWriter({ index: 0, count: 1 });
    const files = await sink.committer.commit(await w.prepareCommit(null));
    expect(listFiles(d)).toEqual(["part-00000-of-00001.txt"]);
    expect(read(files[0])).toBe("");
  });

  test("an aborted run leaves no file where output belongs", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "part"), suffix: ".txt", numShards: 2 });
    sink.failOn = "bad";
    const w0 = await sink.createWriter({ index: 0, count: 2 });
    const w1 = await sink.createWriter({ index: 1, count: 2 });
    await w0.write(batch(["ok"]));
    const prepared = await w0.prepareCommit(null);
    await expect(w1.write(batch(["bad"]))).rejects.toThrow("boom");
    expect(fs.readdirSync(d).filter((n) => n.startsWith(STAGING_PREFIX)).length).toBe(2); // both staged
    await w1.abort();
    await sink.committer.abort(prepared);
    expect(fs.readdirSync(d)).toEqual([]);
    await sink.committer.abort(prepared); // aborting again is no error
  });

  test("a commit that fails part-way puts back what it renamed; the committables then commit or abort", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "part"), suffix: ".txt", numShards: 2 });
    const w0 = await sink.createWriter({ index: 0, count: 2 });
    const w1 = await sink.createWriter({ index: 1, count: 2 });
    await w0.write(batch(["a"]));
    await w1.write(batch(["b"]));
    const staged = [...(await w0.prepareCommit(null)), ...(await w1.prepareCommit(null))];
    // make the second final name unusable: a non-empty directory there
    const blocker = path.join(d, "part-00001-of-00002.txt");
    fs.mkdirSync(path.join(blocker, "blocker"), { recursive: true });
    await expect(sink.committer.commit(staged)).rejects.toThrow(IOError);
    expect(fs.existsSync(path.join(d, "part-00000-of-00002.txt"))).toBe(false);
    expect(listFiles(d).filter((f) => f.startsWith(STAGING_PREFIX)).length).toBe(2); // both back in staging
    fs.rmSync(blocker, { recursive: true });
    const published = await sink.committer.commit(staged);
    expect(published.map(read)).toEqual(["a\n", "b\n"]);
    expect(listFiles(d)).toEqual(["part-00000-of-00002.txt", "part-00001-of-00002.txt"]);
  });

  test("a staged file lost from its staging directory before its commit is an IOError that says so", async () => {
    const { sink, staged, file } = await stagedA(1);
    fs.rmSync(file.staged);
    await expect(sink.committer.commit(staged)).rejects.toMatchObject({ code: "BL_IO_STAGED_LOST" });
  });

  test("a commit done before is done even when a consumer has since moved or deleted what it published", async () => {
    const { d, sink, staged } = await stagedA(2, "out");
    const first = await sink.committer.commit(staged);
    fs.renameSync(first[0], path.join(d, "consumed.txt")); // a consumer takes the file
    expect(await sink.committer.commit(staged)).toEqual(first);
    fs.rmSync(path.join(d, "out"), { recursive: true }); // or the whole output directory
    expect(await sink.committer.commit(staged)).toEqual(first);
    expect(listFiles(d)).toEqual(["consumed.txt"]); // nothing published twice, nothing recreated
  });

  test("a crash between the rename and the removal of the staging directory: the marker says published", async () => {
    const { d, sink, staged, file: f } = await stagedA(1);
    // What a commit does before it removes the staging directory: mark, then rename; then the crash.
    fs.writeFileSync(path.join(f.staging, PUBLISHED_MARKER), f.final);
    fs.renameSync(f.staged, f.final);
    fs.rmSync(f.final); // consumed before the resume
    expect(await sink.committer.commit(staged)).toEqual([f.final]);
    expect(listFiles(d)).toEqual([]);
  });

  test("a commit that fails leaves no marker: the staged file put back is committed later, not taken as published", async () => {
    const { d, sink, staged } = await stagedA(null);
    const blocker = path.join(d, "part-00000-of-00001.txt");
    fs.mkdirSync(path.join(blocker, "blocker"), { recursive: true });
    await expect(sink.committer.commit(staged)).rejects.toThrow(IOError);
    expect(listFiles(d).filter((f) => f.endsWith(PUBLISHED_MARKER))).toEqual([]);
    fs.rmSync(blocker, { recursive: true });
    expect((await sink.committer.commit(staged)).map(read)).toEqual(["a\n"]);
  });

  test("bad options", () => {
    expect(() => new LinesSink({ prefix: "", suffix: "" })).toThrow(IOError);
    expect(() => new LinesSink({ prefix: "x", suffix: "", numShards: 0 })).toThrow(/numShards/);
  });
});

describe("FileSink recovery", () => {
  test("recovery commits the restored committables and removes every later staged file of the sink, and only of it", async () => {
    const d = tmpDir();
    const sink = new LinesSink({ prefix: path.join(d, "part"), suffix: ".txt" });
    const other = new LinesSink({ prefix: path.join(d, "other"), suffix: ".txt" });
    // The crashed run: checkpoint 1 prepared "a" (its manifest was written, its commit was not),
    // checkpoint 2 prepared "b" (no manifest), and "c" was being written.
    const w = await sink.createWriter({ index: 0, count: 1 });
    await w.write(batch(["a"]));
    const c1 = await w.prepareCommit(1);
    await w.write(batch(["b"]));
    const c2: JsonValue[] = await w.prepareCommit(2);
    await w.write(batch(["c"]));
    const ow = await other.createWriter({ index: 0, count: 1 });
    await ow.write(batch(["z"]));
    expect(c2.length).toBe(1);
    expect(fs.readdirSync(d).filter((n) => n.startsWith(STAGING_PREFIX)).length).toBe(4);

    const published = await recoverSink(sink, { checkpointId: 1, committables: c1 });
    expect(published.map(read)).toEqual(["a\n"]);
    // Only the published file and the other sink's staged file are left.
    const left = fs.readdirSync(d).sort();
    expect(left.length).toBe(2);
    expect(left).toContain("part-chk00001-00000-of-00001.txt");
    expect(listFiles(d).filter((f) => f.startsWith(STAGING_PREFIX)).map((f) => path.basename(f))).toEqual(["other-00000-of-00001.txt"]);
    expect(await other.committer.commit(await ow.prepareCommit(null))).toEqual([path.join(d, "other-00000-of-00001.txt")]);
    // Recovering again (a second crash before anything new) changes nothing.
    expect(await recoverSink(sink, { checkpointId: 1, committables: c1 })).toEqual(published);
    expect(fs.readdirSync(d).sort()).toEqual(["other-00000-of-00001.txt", "part-chk00001-00000-of-00001.txt"]);
  });
});

describe("FileSink: what earlier attempts of a run left", () => {
  /** The staging directories in `d`. */
  const stagingDirs = (d: string) => fs.readdirSync(d).filter((n) => n.startsWith(STAGING_PREFIX)).sort();

  test("an attempt that restores nothing removes, before it stages, what earlier attempts of its run left, and nothing of another run", async () => {
    const d = tmpDir();
    const options = { prefix: path.join(d, "part"), suffix: ".txt" };
    // Attempt 1 of run "r1", killed: a shard cut short, and a file prepared for a checkpoint that never completed.
    const killed = new LinesSink(options);
    const k0 = await killed.createWriter({ index: 0, count: 2, run: "r1" });
    const k1 = await killed.createWriter({ index: 1, count: 2, run: "r1" });
    await k0.write(batch(["partial"]));
    await k1.write(batch(["prepared"]));
    await k1.prepareCommit(1);
    // Another run writing next to it, still under way.
    const other = new LinesSink(options);
    const ow = await other.createWriter({ index: 0, count: 1, run: "r2" });
    await ow.write(batch(["other"]));
    const left = stagingDirs(d);
    expect(left.length).toBe(3);

    // Attempt 2 of run "r1" starts over (nothing to restore): its first write clears attempt 1's.
    const again = new LinesSink(options);
    const w = await again.createWriter({ index: 0, count: 1, run: "r1" });
    expect(stagingDirs(d)).toEqual(left); // opening a writer removes nothing (a restore may follow)
    await w.write(batch(["x"]));
    const now = stagingDirs(d);
    expect(now.length).toBe(2);
    const r2 = new StagingArea(options.prefix, options.suffix, "r2").namePrefix;
    expect(now.filter((n) => left.includes(n))).toEqual(left.filter((n) => n.startsWith(r2))); // run r2's, untouched
    const files = await again.committer.commit(await w.prepareCommit(null));
    expect(files.map(read)).toEqual(["x\n"]);
    expect(await other.committer.commit(await ow.prepareCommit(null))).toEqual([path.join(d, "part-00000-of-00001.txt")]);
    expect(stagingDirs(d)).toEqual([]);
  });

  test("an attempt that writes nothing still clears what earlier attempts left when it prepares", async () => {
    const d = tmpDir();
    const options = { prefix: path.join(d, "part"), suffix: ".txt" };
    const killed = new LinesSink(options);
    await (await killed.createWriter({ index: 0, count: 1, run: "r1" })).write(batch(["partial"]));
    expect(stagingDirs(d).length).toBe(1);
    const again = new LinesSink(options);
    expect(await (await again.createWriter({ index: 0, count: 1, run: "r1" })).prepareCommit(3)).toEqual([]);
    expect(stagingDirs(d)).toEqual([]);
  });

  test("recovery removes what earlier attempts of the run left but not what another run stages", async () => {
    const d = tmpDir();
    const options = { prefix: path.join(d, "part"), suffix: ".txt" };
    const killed = new LinesSink(options);
    const kw = await killed.createWriter({ index: 0, count: 1, run: "r1" });
    await kw.write(batch(["a"]));
    const c1 = await kw.prepareCommit(1);
    await kw.write(batch(["after"]));
    const other = new LinesSink(options);
    const ow = await other.createWriter({ index: 0, count: 1, run: "r2" });
    await ow.write(batch(["other"]));

    const resumed = new LinesSink(options);
    const rw = await resumed.createWriter({ index: 0, count: 1, run: "r1" });
    expect((await recoverSink(resumed, { checkpointId: 1, committables: c1 })).map(read)).toEqual(["a\n"]);
    expect(stagingDirs(d)).toEqual([path.basename(path.dirname(((await ow.prepareCommit(null))[0] as { staged: string }).staged))]);
    await rw.write(batch(["b"])); // staging after a recovery removes nothing more
    expect(stagingDirs(d).length).toBe(2);
  });
});

describe("writeTo", () => {
  test("refuses, when the pipeline is built, an object that is not a Sink, naming what it lacks", () => {
    const p = new Pipeline();
    const lines = p.apply(create(["a"]));
    expect(() => lines.apply(writeTo({ createWriter: async () => ({}) } as never))).toThrow(
      expect.objectContaining({ code: "BL_NOT_A_SINK", rule: expect.stringContaining("committer.commit(committables), committer.abort(committables), abortLingering(recovery)") }),
    );
  });
});
