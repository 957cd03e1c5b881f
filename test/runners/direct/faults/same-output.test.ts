/**
 * expectSameOutputUnderFaults catches output that faults change: a pipeline that appends lines to a
 * file from a user function (not transactional, at least once) repeats lines once a thread dies or the
 * process is killed, and the kit throws with the seed, the faults that fired, the difference and the
 * command that replays them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, expectSameOutputUnderFaults } from "beamline";
import { tempDir } from "../../../helpers";
import { writeWords } from "../checkpoint/inputs";

const FILE = path.join(__dirname, "side-effect-output.ts");

describe("expectSameOutputUnderFaults", () => {
  const dir = tempDir("beamline-kit-");
  const input = path.join(dir, "words.txt");
  beforeAll(() => writeWords(input, 20_000));

  test("throws on lines that repeat under faults, with the seed, the faults, the difference and the replay command", async () => {
    const e = (await expectSameOutputUnderFaults(FILE, { seed: 2, faults: 3, options: { input, parallelism: 1 } }).catch((x: unknown) => x)) as BeamlineError;
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e.code).toBe("BL_OUTPUT_DIFFERS_UNDER_FAULTS");
    expect(e.message).toMatch(/"seed 2" — the output under faults differs from the output without faults \(round 1; 0 lines missing, \d+ extra\)/);
    expect(e.message).toMatch(/^ {2}#1 thread-kill: the thread running an instance dies at batch #3$/m); // the fault that replays the input
    expect(e.message).toMatch(/^ {2}\+ [a-z]+$/m); // a repeated word
    expect(e.message).toMatch(/replay it with: npx beamline run \S*side-effect-output\.ts --inject-faults=2:3 --checkpoint-interval=50 --input=\S+ --parallelism=1 --output=OUT/);
  }, 120_000);

  test("a pipeline file that fails without faults is reported as such", async () => {
    const e = (await expectSameOutputUnderFaults(FILE, { seed: 5, faults: 3, options: { input: path.join(dir, "missing.txt") } }).catch((x: unknown) => x)) as BeamlineError;
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e.code).toBe("BL_RUN_FAILED_UNDER_FAULTS");
    expect(e.message).toMatch(/the run without faults failed \(exit code 1\)/);
    expect(e.message).toContain("missing.txt");
    expect(fs.existsSync(path.join(dir, "missing.txt"))).toBe(false);
  }, 60_000);
});
