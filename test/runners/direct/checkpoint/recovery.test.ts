/**
 * Exactly-once recovery: the golden pipeline run straight through, with checkpoints, and killed
 * (`kill -9`) at a seeded random time then resumed — every way, the same output lines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import { rng, tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { killThenResume, startNode } from "./children";
import { checkpointGolden } from "./pipelines";

const SCRIPT = path.join(__dirname, "run-golden.ts");

/** Writes `n` input lines `k,v,t,s`. */
function writeInput(file: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${(i * 7919) % 97},${i % 1000},${i * 10},w${(i * 31) % 53}`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}

/** The golden pipeline's output lines (every shard and epoch), sorted. */
function output(dir: string): string[] {
  return outputLines(dir, "g-");
}

function child(args: string[]) {
  return startNode(["--import", "tsx", SCRIPT, ...args]);
}

describe("checkpoints and exactly-once recovery", () => {
  const root = tempDir("beamline-recovery-");
  const input = path.join(root, "in.txt");
  let golden: string[] = [];

  beforeAll(async () => {
    writeInput(input, 60_000);
    const out = path.join(root, "straight");
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(checkpointGolden, { input, output: path.join(out, "g") }));
    golden = output(out);
    expect(golden.length).toBeGreaterThan(1000);
  }, 30_000);

  test("a run with checkpoints every 20 ms writes the same lines, and completes checkpoints", async () => {
    const out = path.join(root, "checkpointed");
    const dir = path.join(root, "chk-checkpointed");
    const result = await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 20 } }).run(buildPipeline(checkpointGolden, { input, output: path.join(out, "g") }));
    expect(result.checkpoints!.durationsMs.length).toBeGreaterThan(0);
    expect(new CheckpointStore(dir).completed().length).toBeGreaterThan(0);
    expect(output(out)).toEqual(golden);
  }, 30_000);

  test("kill -9 at a seeded random time, then --resume: the same lines, no duplicates, nothing missing", async () => {
    const random = rng(4);
    let kills = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const out = path.join(root, `killed-${attempt}`);
      const dir = path.join(root, `chk-killed-${attempt}`);
      const args = [input, path.join(out, "g"), dir, "20", "1"];
      const { killed, resumed } = await killThenResume(child, args, dir, Math.floor(random() * 300));
      expect(resumed.err).toBe("");
      expect(resumed.code).toBe(0);
      if (killed.signal === "SIGKILL") kills++;
      if (killed.signal === "SIGKILL") expect(JSON.parse(resumed.out.slice(5)).restoredFrom).toBeGreaterThan(0);
      expect(output(out)).toEqual(golden);
    }
    expect(kills).toBeGreaterThan(0);
  }, 60_000);

  test("resuming with another pipeline's checkpoints is refused clearly", async () => {
    const dir = path.join(root, "chk-other");
    const other = path.join(root, "other.txt");
    writeInput(other, 100);
    await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 1 } }).run(buildPipeline(checkpointGolden, { input: other, output: path.join(root, "other", "g") }));
    fs.mkdirSync(dir, { recursive: true });
    const store = new CheckpointStore(dir);
    if (store.completed().length === 0) {
      // The run ended before the first checkpoint: take one by hand with a foreign fingerprint.
      store.begin(1);
      store.complete({ id: 1, fingerprint: "f".repeat(64), parallelism: 1, keyGroups: 128, completedAt: 0, durationMs: 0, files: {}, extra: {} });
    }
    const run = new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 20, resume: true } }).run(buildPipeline(checkpointGolden, { input, output: path.join(root, "other2", "g") }));
    await expect(run).rejects.toMatchObject({ code: "BL_CHECKPOINT_OTHER_PIPELINE" });
  }, 30_000);
});
