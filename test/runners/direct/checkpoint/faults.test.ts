/**
 * The whole process killed at the riskiest points of a checkpointed parallel run — after every
 * instance wrote its checkpoint file but before the manifest, after the manifest but before the sinks
 * published, and as a sink is about to publish (rename) — through the fault points of
 * `runners/direct/faults/fault-points.ts`, each at a seeded random occurrence; then `--resume` at a
 * seeded random parallelism: every time, the output equals the fault-free output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import type { FaultPoint } from "../../../../runners/direct/faults/fault-points";
import { CheckpointStore, MANIFEST } from "../../../../runners/direct/checkpoint/store";
import { rng, tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { startCli } from "./children";
import { writeRows } from "./inputs";
import { checkpointGolden } from "./pipelines";

const FILE = path.join(__dirname, "windowed-golden.ts");

describe("kill -9 at a checkpoint's fault points, then --resume", () => {
  const root = tempDir("beamline-faults-");
  const input = path.join(root, "input.txt");
  let golden: string[] = [];
  const random = rng(20261121);

  beforeAll(async () => {
    writeRows(input, 30_000);
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(checkpointGolden, { input, output: path.join(root, "straight", "out") }));
    golden = outputLines(path.join(root, "straight"), "out");
  }, 30_000);

  const points: FaultPoint[] = ["checkpoint-files", "checkpoint-complete", "sink-commit"];
  test.each(points)("killed at %s: the resumed output equals the fault-free output", async (point) => {
    const n = 1 + Math.floor(random() * 2);
    const resumeAt = 2 + Math.floor(random() * 2);
    const dir = path.join(root, `chk-${point}`);
    const out = path.join(root, point);
    const args = [`--input=${input}`, `--output=${path.join(out, "out")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=30"];
    const killed = await startCli(FILE, [...args, "--parallelism=2"], { BEAMLINE_FAULT: `${point}:${n}` }).exit;
    expect(killed.signal).toBe("SIGKILL");
    const store = new CheckpointStore(dir);
    const newest = Math.max(...fs.readdirSync(dir).map((d) => Number(/^chk-(\d+)$/.exec(d)?.[1] ?? 0)));
    if (point === "checkpoint-files") {
      // Both instances' files are there, the manifest is not: the checkpoint is incomplete.
      expect(fs.readdirSync(store.pathOf(newest)).sort()).toEqual(["instance-0.bin", "instance-1.bin"]);
      expect(fs.existsSync(path.join(store.pathOf(newest), MANIFEST))).toBe(false);
    } else if (point === "checkpoint-complete") {
      expect(store.manifestOf(newest)).not.toBeNull();
    } else {
      expect(store.completed().length).toBeGreaterThan(0); // the next checkpoint may have begun
    }
    const resumed = await startCli(FILE, [...args, `--parallelism=${resumeAt}`, "--resume"]).exit;
    expect(resumed.err).toMatch(/done on the direct runner/);
    expect(resumed.code).toBe(0);
    expect(outputLines(out, "out")).toEqual(golden);
  }, 30_000);
});
