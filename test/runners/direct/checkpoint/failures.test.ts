/**
 * Checkpoint-directory problems: a directory that cannot be created is a clear error before the run;
 * a checkpoint that cannot be written (a full disk, simulated by the `checkpoint-write` failure point,
 * or a directory replaced by a file) is reported and abandoned, the run goes on and its output stays
 * exactly-once; checkpoints that keep failing end the run with BL_CHECKPOINT_FAILED naming the directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import type { RunEvent } from "../../../../runners/direct/contract/run-events";
import { tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { endlessCounts } from "../parallel/pipelines";
import { startCli } from "./children";
import { writeRows } from "./inputs";
import { checkpointGolden } from "./pipelines";

const FILE = path.join(__dirname, "windowed-golden.ts");

describe("checkpoint-directory problems", () => {
  const root = tempDir("beamline-cp-failures-");
  const input = path.join(root, "input.txt");
  let golden: string[] = [];

  beforeAll(async () => {
    writeRows(input, 30_000);
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(checkpointGolden, { input, output: path.join(root, "straight", "out") }));
    golden = outputLines(path.join(root, "straight"), "out");
  }, 30_000);

  const args = (name: string) => [`--input=${input}`, `--output=${path.join(root, name, "out")}`, "--parallelism=2", "--checkpoint-interval=30"];

  test("a checkpoint directory that cannot be created: an error naming it, before the run", async () => {
    const file = path.join(root, "a-file");
    fs.writeFileSync(file, "");
    const dir = path.join(file, "checkpoints");
    const r = await startCli(FILE, [...args("uncreatable"), `--checkpoint-dir=${dir}`]).exit;
    expect(r.err).toContain(`error [BL_CHECKPOINT_DIR]: ${dir}: "ENOTDIR" — the checkpoint directory cannot be created`);
    expect(r.code).toBe(1);
  }, 30_000);

  test("one checkpoint fails to write (a full disk): it is reported, the run goes on, and the output equals the fault-free output", async () => {
    const dir = path.join(root, "chk-once");
    const r = await startCli(FILE, [...args("once"), `--checkpoint-dir=${dir}`], { BEAMLINE_FAULT: "checkpoint-write:2" }).exit;
    expect(r.err).toMatch(/beamline: checkpoint \d+ failed and was abandoned \(1 in a row; the run fails after 4, --tolerable-checkpoint-failures=3\): ENOSPC: no space left on device/);
    expect(r.err).toMatch(/done on the direct runner/);
    expect(r.code).toBe(0);
    expect(outputLines(path.join(root, "once"), "out")).toEqual(golden);
  }, 30_000);

  test("checkpoints that keep failing end the run with BL_CHECKPOINT_FAILED naming the directory, not an internal error", async () => {
    const dir = path.join(root, "chk-always");
    const r = await startCli(FILE, [...args("always"), `--checkpoint-dir=${dir}`, "--tolerable-checkpoint-failures=1"], { BEAMLINE_FAULT: "checkpoint-write:2+" }).exit;
    expect(r.err.match(/checkpoint \d+ failed and was abandoned/g)).toHaveLength(2);
    expect(r.err).toContain(`error [BL_CHECKPOINT_FAILED]: ${dir}: 2 — checkpoints failed 2 times in a row, more than the run tolerates; the last: ENOSPC`);
    expect(r.err).not.toMatch(/internal error/);
    expect(r.code).toBe(1);
  }, 30_000);

  test("the directory replaced by a file while an unbounded run goes on: reported failures, then the run fails with the directory named", async () => {
    const dir = path.join(tempDir(), "cp");
    const events: RunEvent[] = [];
    let replaced = false;
    const runner = new DirectRunner({
      parallelism: 1,
      checkpoint: { dir, intervalMs: 50, tolerableFailures: 2 },
      onEvent: (e) => void events.push(e),
    });
    const watch = setInterval(() => {
      if (replaced || !fs.existsSync(dir) || !fs.readdirSync(dir).some((f) => fs.existsSync(path.join(dir, f, "_manifest.json")))) return;
      replaced = true;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.writeFileSync(dir, "not a directory");
    }, 10);
    const err = await runner.run(buildPipeline(endlessCounts, { output: path.join(tempDir(), "out") })).catch((e: unknown) => e);
    clearInterval(watch);
    expect(replaced).toBe(true);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_CHECKPOINT_FAILED");
    expect((err as BeamlineError).where).toBe(dir);
    expect(events.filter((e) => e.type === "checkpoint-failed").map((e) => e.type === "checkpoint-failed" && e.consecutive)).toEqual([1, 2, 3]);
  }, 30_000);
});
