/**
 * Stopping a checkpointed run gracefully (`stop`, Ctrl-C in the command): a final checkpoint is taken
 * and committed, so what the run emitted before it is published even when no periodic checkpoint came,
 * the run resolves STOPPED, and a resumed run continues exactly where it stopped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { tempDir, until } from "../../../helpers";
import { startCli } from "../checkpoint/children";
import { outputLines } from "./files";
import { endlessNumbers } from "./pipelines";

/** Runs the endless numbers at `parallelism`, stops them after `ms`, and returns the run's result. */
async function runThenStop(dir: string, parallelism: number, ms: number, resume: boolean) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), ms);
  try {
    // Periodic checkpoints every minute: within the test, only the final one a stop takes completes.
    return await new DirectRunner({ parallelism, stop: stop.signal, checkpoint: { dir: path.join(dir, "cp"), intervalMs: 60_000, resume } }).run(
      buildPipeline(endlessNumbers, { output: path.join(dir, "n") }),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The numbers written, sorted, checking none is written twice. */
function numbersWritten(dir: string): number[] {
  const lines = outputLines(dir, "n").map(Number).sort((a, b) => a - b);
  expect(new Set(lines).size).toBe(lines.length);
  return lines;
}

/** Resolves `ms` after the command's run formatted its first number (however long starting took). */
async function underWay(dir: string, ms: number): Promise<void> {
  await until(async () => fs.existsSync(path.join(dir, "n.started")) || undefined, 60_000, "the run under way");
  await new Promise((r) => setTimeout(r, ms));
}

describe("stopping a checkpointed run", () => {
  test.each([1, 2])("at parallelism %i: a final checkpoint publishes what came before it; a resumed run continues the numbers without a gap or a repeat", async (parallelism) => {
    const dir = tempDir();
    const first = await runThenStop(dir, parallelism, 2000, false);
    expect(first.state).toBe("STOPPED");
    expect(first.checkpoints!.durationsMs.length).toBe(1);
    const before = numbersWritten(dir);
    expect(before.length).toBeGreaterThan(1000);
    expect(before).toEqual(before.map((_, i) => i));

    // Longer: a resumed run at parallelism 2 starts its worker first.
    const second = await runThenStop(dir, parallelism === 1 ? 2 : 1, 5000, true);
    expect(second.state).toBe("STOPPED");
    const after = numbersWritten(dir);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after).toEqual(after.map((_, i) => i));
  }, 60_000);

  test("Ctrl-C in the command stops after a final checkpoint and exits 0", async () => {
    const dir = tempDir();
    const file = path.join(__dirname, "stop-cli-pipeline.ts");
    const args = [`--output=${path.join(dir, "n")}`, `--checkpoint-dir=${path.join(dir, "cp")}`, "--checkpoint-interval=60000", "--parallelism=2"];
    const child = startCli(file, args);
    await underWay(dir, 1000);
    child.process.kill("SIGINT");
    const exit = await child.exit;
    expect(exit.err).toMatch(/stopping: a final checkpoint/);
    expect(exit.err).toMatch(/stopped after a final checkpoint; --resume continues from it/);
    expect(exit.code).toBe(0);
    expect(numbersWritten(dir).length).toBeGreaterThan(0);
  }, 60_000);

  test("without checkpoints, Ctrl-C cancels at once: exit 130, saying nothing after the last completed checkpoint is committed", async () => {
    const dir = tempDir();
    const file = path.join(__dirname, "stop-cli-pipeline.ts");
    const child = startCli(file, [`--output=${path.join(dir, "n")}`, "--parallelism=1"]);
    await underWay(dir, 500);
    child.process.kill("SIGINT");
    const exit = await child.exit;
    expect(exit.err).toMatch(/cancelled: nothing after the last completed checkpoint is committed/);
    expect(exit.code).toBe(130);
  }, 60_000);
});
