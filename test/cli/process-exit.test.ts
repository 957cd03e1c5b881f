/**
 * A user function calling process.exit, on instance 0 (which runs on the main thread) or alone at
 * parallelism 1: the run never ends silently — the failure is reported, the restart strategy applies,
 * and the command never exits 0 without the run's output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT_DURING_RUN } from "../../runners/cli";
import { tempDir } from "../helpers";
import { outputLines } from "../runners/direct/parallel/files";
import { startCli } from "../runners/direct/checkpoint/children";

const FILE = path.join(__dirname, "exits.ts");
const EXIT_LINE = fs.readFileSync(FILE, "utf8").split("\n").findIndex((l) => l.includes("process.exit(code);")) + 1;

describe("process.exit in a user function", () => {
  const root = tempDir("beamline-exit-");
  let clean: string[] = [];

  beforeAll(async () => {
    const marker = path.join(root, "never-exits");
    fs.writeFileSync(marker, "");
    const r = await startCli(FILE, [`--output=${path.join(root, "clean")}`, "--parallelism=1", `--marker=${marker}`]).exit;
    expect(r.code).toBe(0);
    clean = outputLines(root, "clean");
    expect(clean).toHaveLength(101);
  }, 30_000);

  test.each([1, 2])("at parallelism %i, without a restart strategy: exit code 1 and the error on stderr, for process.exit(3) and process.exit(0)", async (parallelism) => {
    for (const code of [3, 0]) {
      const out = path.join(root, `fails-p${parallelism}-${code}`);
      const r = await startCli(FILE, [`--output=${out}`, `--parallelism=${parallelism}`, `--code=${code}`]).exit;
      expect(r.err).toMatch(/error \[BL_PROCESS_EXIT\]: instance 0 of the pipeline: \d+ — a user function called process\.exit/);
      expect(r.err).toMatch(new RegExp(`\\n  at .*cli/exits\\.ts:${EXIT_LINE}:\\d+ \\(your code\\)`));
      expect(r.code).toBe(1);
      expect(outputLines(root, `fails-p${parallelism}-${code}`)).toEqual([]);
    }
  }, 30_000);

  test.each([1, 2])("at parallelism %i, with a restart strategy: the run restarts, says so, and writes the whole output", async (parallelism) => {
    const marker = path.join(root, `exited-p${parallelism}`);
    const args = [`--output=${path.join(root, `restarts-p${parallelism}`)}`, `--parallelism=${parallelism}`, `--marker=${marker}`, "--restart-strategy=fixed-delay", "--restart-delay=10"];
    const r = await startCli(FILE, args).exit;
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/restart 1 of 3 in 10 ms, from the beginning \(the run takes no checkpoints: --checkpoint-dir\), after: \[BL_PROCESS_EXIT\]/);
    expect(outputLines(root, `restarts-p${parallelism}`)).toEqual(clean);
  }, 30_000);

  test("exiting on every attempt: once the restarts ran out, the error names the cause and says so, with no stack trace", async () => {
    const args = [`--output=${path.join(root, "exhausted")}`, "--parallelism=2", "--restart-strategy=fixed-delay", "--restart-attempts=2", "--restart-delay=10"];
    const r = await startCli(FILE, args).exit;
    expect(r.code).toBe(1);
    expect(r.err.match(/beamline: restart \d of 2/g)).toHaveLength(2);
    expect(r.err).toMatch(/error \[BL_RESTARTS_EXHAUSTED\]: 2 — the run failed again after all 2 restarts its restart strategy allows; the last failure: \[BL_PROCESS_EXIT\] instance 0 of the pipeline: a user function called process\.exit/);
    // No internal error and no stack trace: one line names the user's code.
    expect(r.err).not.toMatch(/internal error/);
    expect(r.err.match(/\n\s+at .*/g)).toEqual([expect.stringMatching(/cli\/exits\.ts:\d+:\d+ \(your code\)$/)]);
  }, 30_000);

  test("in a function with a dead-letter output and retries: the exit still stops the run, nothing is dead-lettered", async () => {
    const out = path.join(root, "dead-lettered");
    const r = await startCli(path.join(__dirname, "exits-dead-lettered.ts"), [`--output=${out}`, "--parallelism=1"]).exit;
    expect(r.err).toMatch(/error \[BL_PROCESS_EXIT\]/);
    expect(r.code).toBe(1);
    expect(outputLines(root, "dead-lettered")).toEqual([]);
  }, 30_000);

  test("process.exit(0) from outside the run's instances while it runs: a message, and an exit code that is not 0", async () => {
    const r = await startCli(path.join(__dirname, "exits-outside.ts"), [`--output=${path.join(root, "outside")}`, "--parallelism=1"]).exit;
    expect(r.err).toMatch(/the process is exiting \(code 0\) before the run finished; its output is incomplete/);
    expect(r.code).toBe(EXIT_DURING_RUN);
  }, 30_000);
});
