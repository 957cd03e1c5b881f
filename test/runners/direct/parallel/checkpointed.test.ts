/**
 * Aligned checkpoints across worker threads, in process: checkpoints every few milliseconds of runs
 * at parallelism 2 leave their output as it is at one thread, complete with a file per instance, and
 * restore at another parallelism.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import { tempDir } from "../../../helpers";
import { outputLines } from "./files";
import { golden, scriptedSums, statefulCounts } from "./pipelines";

describe("checkpoints at parallelism 2", () => {
  test("the golden pipeline (generated input; sums, windows, groups, a global sum) checkpointed every 5 ms gives its one-thread output", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(golden, { output: path.join(dir, "p1"), rows: 60_000 }));
    const chk = path.join(dir, "chk");
    const r = await new DirectRunner({ parallelism: 2, checkpoint: { dir: chk, intervalMs: 5, retained: 100 } }).run(buildPipeline(golden, { output: path.join(dir, "p2"), rows: 60_000 }));
    expect(r.parallelism).toBe(2);
    expect(r.checkpoints!.durationsMs.length).toBeGreaterThan(1);
    for (const part of ["sums", "windows", "groups", "total"]) expect(outputLines(dir, `p2-${part}`)).toEqual(outputLines(dir, `p1-${part}`));
    const store = new CheckpointStore(chk);
    for (const c of store.completed()) {
      expect(c.manifest.parallelism).toBe(2);
      expect(Object.keys(c.manifest.files).sort()).toEqual(["instance-0.bin", "instance-1.bin"]);
      for (const [name, bytes] of Object.entries(c.manifest.files)) expect(fs.statSync(path.join(c.dir, name)).size).toBe(bytes);
    }
  }, 60_000);

  test("a stateful DoFn with timers, checkpointed every 2 ms: each key's count is whole", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(statefulCounts, { output: path.join(dir, "a") }));
    const r = await new DirectRunner({ parallelism: 2, checkpoint: { dir: path.join(dir, "chk"), intervalMs: 2 } }).run(buildPipeline(statefulCounts, { output: path.join(dir, "b") }));
    expect(r.checkpoints!.durationsMs.length).toBeGreaterThan(0);
    expect(outputLines(dir, "b")).toEqual(outputLines(dir, "a"));
  }, 60_000);

  test("the final checkpoint of a run at 2 restores at 3 as finished: nothing runs again, nothing is published twice", async () => {
    const dir = tempDir();
    const chk = path.join(dir, "chk");
    const first = await new DirectRunner({ parallelism: 2, checkpoint: { dir: chk, intervalMs: 1000 } }).run(buildPipeline(golden, { output: path.join(dir, "out") }));
    const before = outputLines(dir, "out");
    const again = await new DirectRunner({ parallelism: 3, checkpoint: { dir: chk, intervalMs: 1000, resume: true } }).run(buildPipeline(golden, { output: path.join(dir, "out") }));
    expect(again.checkpoints!.restoredFrom).not.toBeNull();
    // A resumed run's counts go on from the checkpoint's: equal to the first run's, nothing was read again.
    expect(first.metrics.rowsOut.get("Input")).toBe(20000);
    expect(again.metrics.rowsOut.get("Input")).toBe(20000);
    expect(outputLines(dir, "out")).toEqual(before);
  }, 60_000);

  test("a TestStream pipeline stays on one thread (its simulated clock), checkpointed as asked", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(scriptedSums, { output: path.join(dir, "a") }));
    const r = await new DirectRunner({ parallelism: 2, checkpoint: { dir: path.join(dir, "chk"), intervalMs: 1 } }).run(buildPipeline(scriptedSums, { output: path.join(dir, "b") }));
    expect(r.parallelism).toBe(1);
    expect(r.checkpoints!.durationsMs.length).toBeGreaterThan(0);
    expect(outputLines(dir, "a").length).toBeGreaterThan(0);
    expect(outputLines(dir, "b")).toEqual(outputLines(dir, "a"));
  });
});
