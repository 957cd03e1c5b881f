import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import wordcount from "../../../../examples/wordcount";
import { tempDir } from "../../../helpers";
import { outputLines } from "./files";
import { endlessCounts, failsInWorker, golden, slowWorkerStart, statefulCounts } from "./pipelines";


describe("parallel execution", () => {
  test("the golden pipeline gives the same output on 1 and 2 threads", async () => {
    const dir = tempDir();
    const one = await new DirectRunner({ parallelism: 1 }).run(buildPipeline(golden, { output: path.join(dir, "p1") }));
    const two = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(golden, { output: path.join(dir, "p2") }));
    expect(one.parallelism).toBe(1);
    expect(two.parallelism).toBe(2);
    for (const part of ["sums", "windows", "groups", "total"]) {
      const a = outputLines(dir, `p1-${part}`);
      expect(a.length).toBeGreaterThan(0);
      expect(outputLines(dir, `p2-${part}`)).toEqual(a);
    }
    expect(outputLines(dir, "p1-total")).toEqual([String(Array.from({ length: 20000 }, (_, i) => i % 1000).reduce((x, y) => x + y, 0))]);
    // Rows moved per transform add up to the same totals across workers.
    expect(two.metrics.rowsOut.get("SumPerKey")).toBe(one.metrics.rowsOut.get("SumPerKey"));
    expect(two.metrics.rowsOut.get("Input")).toBe(20000);
  });

  test("a stateful DoFn sees all of a key's rows on one worker: per-key state is not split across threads", async () => {
    const dir = tempDir();
    const r = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(statefulCounts, { output: path.join(dir, "s") }));
    expect(r.parallelism).toBe(2);
    const counts = outputLines(dir, "s").map((l) => JSON.parse(l) as { key: string; n: number });
    expect(counts.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      Array.from({ length: 37 }, (_, k) => ({ key: `k${k}`, n: Math.floor(4000 / 37) + (k < 4000 % 37 ? 1 : 0) })).sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  test("the wordcount example gives the same counts on 2 threads", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(wordcount, { output: path.join(dir, "a") }));
    const r = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(wordcount, { output: path.join(dir, "b") }));
    expect(r.parallelism).toBe(2);
    expect(outputLines(dir, "b")).toEqual(outputLines(dir, "a"));
  });

  test("the calling thread's instance starts at once, without waiting for the workers to load the pipeline", async () => {
    const marker = path.join(tempDir(), "m");
    const r = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(slowWorkerStart, { marker, loadMs: 600 }));
    expect(r.parallelism).toBe(2);
    const at = (what: string) => Number(fs.readFileSync(`${marker}-${what}`, "utf8"));
    expect(at("main-first")).toBeLessThan(at("worker-built"));
    expect(r.metrics.rowsOut.get("Sum")).toBe(10);
  });

  test("a failure on a worker thread fails the run with the worker's error, and nothing is committed", async () => {
    const dir = tempDir();
    const err = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(failsInWorker, { output: path.join(dir, "out") })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_USER_CODE_FAILED");
    expect((err as Error).message).toMatch(/worker fault/);
    expect(outputLines(dir, "out")).toEqual([]);
  });

  test("an unbounded run on 2 threads takes checkpoints until cancelled, then rejects as cancelled, having published only whole windows", async () => {
    const dir = tempDir();
    const checkpointDir = path.join(dir, "cp");
    const abort = new AbortController();
    // Cancelled once a checkpoint completed (polled; at most 20 s), however slow the machine.
    const cancelled = setInterval(() => {
      if (fs.existsSync(checkpointDir) && new CheckpointStore(checkpointDir).completed().length > 0) abort.abort();
    }, 50);
    const deadline = setTimeout(() => abort.abort(), 20_000);
    const err = await new DirectRunner({ parallelism: 2, signal: abort.signal, checkpoint: { dir: checkpointDir, intervalMs: 100 } })
      .run(buildPipeline(endlessCounts, { output: path.join(dir, "out") }))
      .catch((e: unknown) => e);
    clearInterval(cancelled);
    clearTimeout(deadline);
    expect((err as BeamlineError).code).toBe("BL_CANCELLED");
    const done = new CheckpointStore(checkpointDir).completed();
    expect(done.length).toBeGreaterThan(0);
    expect(done.every((c) => c.manifest.parallelism === 2)).toBe(true);
    // Published: what completed checkpoints committed, whole one-second windows (1000 numbers, 142 or 143 per remainder).
    const lines = outputLines(dir, "out").map((l) => l.split(" ").map(Number));
    expect(lines.length % 7).toBe(0);
    expect(lines.every(([r, n]) => r >= 0 && r < 7 && (n === 142 || n === 143))).toBe(true);
    expect(lines.reduce((a, [, n]) => a + n, 0) % 1000).toBe(0);
  }, 30_000);

  test("pipelines not built from a definition run on the calling thread", async () => {
    const { Pipeline, create } = await import("beamline");
    const p = new Pipeline();
    p.apply(create([{ a: 1 }]));
    expect((await new DirectRunner({ parallelism: 2 }).run(p)).parallelism).toBe(1);
  });
});
