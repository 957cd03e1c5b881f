/**
 * A user function that throws: the command names the line of the user's code it threw at (on the main
 * thread, and on a worker thread, whose bundle's frames map back to the source), and suggests a
 * dead-letter output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../helpers";
import { startCli } from "../runners/direct/checkpoint/children";

const FILE = path.join(__dirname, "throws.ts");
const THROW_LINE = fs.readFileSync(FILE, "utf8").split("\n").findIndex((l) => l.includes("throw new Error")) + 1;

describe("the error of a user function", () => {
  test.each([
    ["the main thread", ["--parallelism=1"]],
    ["a worker thread", ["--parallelism=2", "--in-worker"]],
  ])("thrown on %s: names the line of the user's code and suggests a dead-letter output", async (_where, args) => {
    const r = await startCli(FILE, [`--output=${path.join(tempDir(), "out")}`, ...args]).exit;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[BL_USER_CODE_FAILED\]: transform "Check": .*the user function threw: bad row \d+\. fix the function, or route the elements it throws on to a dead-letter output with \{ deadLetter: true \}/);
    expect(r.err).toMatch(new RegExp(`\\n  at .*cli/throws\\.ts:${THROW_LINE}:\\d+ \\(your code\\)`));
  }, 30_000);
});
