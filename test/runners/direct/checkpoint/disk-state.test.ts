/**
 * The disk state backend end to end: the stateful golden pipeline (every kind of cell, timers, the
 * global window's expiry) gives on disk the lines it gives in memory — straight through, checkpointed
 * (incrementally), and killed (`kill -9`, at a seeded random time or at a checkpoint's fault point)
 * then resumed at another parallelism.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner, OptionError } from "beamline";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import { rng, tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { killThenResume, startCli } from "./children";
import { writeRows } from "./inputs";
import statefulGolden from "./stateful-golden";

const FILE = path.join(__dirname, "stateful-golden.ts");

describe("keyed state and timers on disk (--state-backend=disk)", () => {
  const root = tempDir("beamline-disk-state-");
  const input = path.join(root, "in.txt");
  let golden: string[] = [];

  beforeAll(async () => {
    writeRows(input, 8_000);
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(statefulGolden, { input, output: path.join(root, "memory", "g") }));
    golden = outputLines(path.join(root, "memory"), "g-");
    expect(golden.length).toBeGreaterThan(150);
  }, 120_000);

  test("on two threads, the same lines as in memory; each instance's state files are gone once the run ends, and those of killed processes too", async () => {
    const stateDir = path.join(root, "state-files");
    // What a process killed with kill -9 left (its pid runs no more).
    const orphan = path.join(stateDir, "beamline-state-999999999-Old-abc");
    fs.mkdirSync(orphan, { recursive: true });
    const seen = new Set<string>();
    const watch = setInterval(() => fs.existsSync(stateDir) && fs.readdirSync(stateDir).forEach((d) => seen.add(d)), 5);
    try {
      await new DirectRunner({ parallelism: 2, stateBackend: "disk", stateDir }).run(buildPipeline(statefulGolden, { input, output: path.join(root, "disk", "g") }));
    } finally {
      clearInterval(watch);
    }
    expect(outputLines(path.join(root, "disk"), "g-")).toEqual(golden);
    expect([...seen].some((d) => new RegExp(`^beamline-state-${process.pid}-EveryCell-`).test(d))).toBe(true);
    expect(fs.readdirSync(stateDir)).toEqual([]);
  }, 120_000);

  test("checkpointed every 20 ms: the same lines", async () => {
    const dir = path.join(root, "chk-straight");
    const result = await new DirectRunner({ parallelism: 2, stateBackend: "disk", checkpoint: { dir, intervalMs: 20, retained: 1000 } }).run(
      buildPipeline(statefulGolden, { input, output: path.join(root, "checkpointed", "g") }),
    );
    expect(outputLines(path.join(root, "checkpointed"), "g-")).toEqual(golden);
    expect(result.checkpoints!.durationsMs.length).toBeGreaterThan(1);
  }, 120_000);

  test("kill -9 at a seeded random time, then --resume at another parallelism: the same lines", async () => {
    const random = rng(18);
    let kills = 0;
    for (const [from, to] of [[2, 1], [1, 3]]) {
      const out = path.join(root, `killed-${from}-${to}`);
      const dir = path.join(root, `chk-killed-${from}-${to}`);
      const args = [`--input=${input}`, `--output=${path.join(out, "g")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=20", "--state-backend=disk"];
      const start = (a: string[]) => startCli(FILE, a.includes("--resume") ? [...a, `--parallelism=${to}`] : [...a, `--parallelism=${from}`]);
      const { killed, resumed } = await killThenResume(start, args, dir, Math.floor(random() * 200));
      expect(resumed.err).toMatch(/done on the direct runner/);
      expect(resumed.code).toBe(0);
      if (killed.signal === "SIGKILL") kills++;
      expect(outputLines(out, "g-")).toEqual(golden);
    }
    expect(kills).toBeGreaterThan(0);
  }, 240_000);

  test("killed once an incremental checkpoint completed, resumed on two threads in memory: the same lines", async () => {
    // 60,000 rows: four read batches whose state changes land between checkpoints (8,000 rows are one
    // batch, often processed whole before a second checkpoint, which then has nothing to build on).
    const big = path.join(root, "in-big.txt");
    writeRows(big, 60_000);
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(statefulGolden, { input: big, output: path.join(root, "memory-big", "g") }));
    const bigGolden = outputLines(path.join(root, "memory-big"), "g-");
    // Killed at the Nth completed checkpoint: the first N for which a completed checkpoint held only
    // what changed since the one before.
    let dir = "";
    let out = "";
    let args: string[] = [];
    const tried: string[] = [];
    for (const n of [3, 5, 8, 12, 20]) {
      dir = path.join(root, `chk-fault-${n}`);
      out = path.join(root, `fault-${n}`);
      args = [`--input=${big}`, `--output=${path.join(out, "g")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=20"];
      const killed = await startCli(FILE, [...args, "--parallelism=1", "--state-backend=disk"], { BEAMLINE_FAULT: `checkpoint-complete:${n}` }).exit;
      const store = new CheckpointStore(dir);
      const incremental = store.completed().some((c) => store.basesOf(c.id).length > 0);
      tried.push(`${n}: ${killed.signal ?? `exit ${killed.code}`}, incremental ${incremental}`);
      if (killed.signal === "SIGKILL" && incremental) break;
    }
    expect(tried[tried.length - 1]).toMatch(/SIGKILL, incremental true$/);
    const resumed = await startCli(FILE, [...args, "--parallelism=2", "--state-backend=memory", "--resume"]).exit;
    expect(resumed.err).toMatch(/done on the direct runner/);
    expect(outputLines(out, "g-")).toEqual(bigGolden);
  }, 120_000);

  test("another state backend is refused, naming the choices", () => {
    expect(() => new DirectRunner({ stateBackend: "rocksdb" as never })).toThrow(OptionError);
    expect(() => new DirectRunner({ stateBackend: "rocksdb" as never })).toThrow(/"rocksdb".*"memory", "disk".*--state-backend=disk/);
  });
});
