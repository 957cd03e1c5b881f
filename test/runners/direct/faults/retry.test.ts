/**
 * Transient failures are retried where they happen: a source's read that fails is read again from
 * the part's position, a sink's commit that fails is committed again, a few times in a row with
 * backoff, counted (`ioRetries`); one failure more than that fails the run.
 */
import * as path from "node:path";
import { startCli } from "../checkpoint/children";
import { writeWords } from "../checkpoint/inputs";
import { outputLines } from "../parallel/files";
import { tempDir } from "../../../helpers";
import { TRANSIENT_RETRIES } from "../../../../runners/direct/faults/plan";

const WORDCOUNT = path.join(__dirname, "..", "..", "..", "..", "examples", "wordcount.ts");

describe("transient failures of reads and commits", () => {
  const dir = tempDir("beamline-retry-");
  const input = path.join(dir, "words.txt");
  const run = (name: string, extra: string[], fault?: string) =>
    startCli(WORDCOUNT, [`--input=${input}`, `--output=${path.join(dir, name, "out")}`, "--parallelism=1", ...extra], fault ? { BEAMLINE_FAULT: fault } : {}).exit;
  let clean: string[] = [];

  beforeAll(async () => {
    writeWords(input, 2000);
    expect((await run("clean", [])).code).toBe(0);
    clean = outputLines(path.join(dir, "clean"), "out");
    expect(clean.length).toBeGreaterThan(1000);
  }, 30_000);

  test("a read failing three times in a row is read again from its position: the same output", async () => {
    const r = await run("read", [], "source-read:1x3/transient");
    expect(r.code).toBe(0);
    expect(r.err.match(/injected fault fires: source-read fails/g)).toHaveLength(3);
    expect(r.err).toMatch(/^beamline: Read: ioRetries=3$/m);
    expect(outputLines(path.join(dir, "read"), "out")).toEqual(clean);
  }, 30_000);

  test("a commit failing twice is committed again: the same output, in a checkpointed run and in one without checkpoints", async () => {
    const plain = await run("commit", [], "sink-commit:1x2/transient");
    expect(plain.code).toBe(0);
    expect(plain.err.match(/injected fault fires: sink-commit fails/g)).toHaveLength(2);
    expect(plain.err).toMatch(/^beamline: Write: ioRetries=2$/m);
    expect(outputLines(path.join(dir, "commit"), "out")).toEqual(clean);
    const checkpointed = await run("commit-chk", [`--checkpoint-dir=${path.join(dir, "chk")}`, "--checkpoint-interval=20"], "sink-commit:1x2/transient");
    expect(checkpointed.code).toBe(0);
    expect(checkpointed.err.match(/injected fault fires: sink-commit fails/g)).toHaveLength(2);
    expect(outputLines(path.join(dir, "commit-chk"), "out")).toEqual(clean);
  }, 30_000);

  test(`a read failing more than ${TRANSIENT_RETRIES} times in a row fails the run with the failure`, async () => {
    const r = await run("broken", [], `source-read:1x${TRANSIENT_RETRIES + 1}/transient`);
    expect(r.code).toBe(1);
    expect(r.err.match(/injected fault fires: source-read fails/g)).toHaveLength(TRANSIENT_RETRIES + 1);
    expect(r.err).toMatch(/error \[BL_INJECTED_FAULT\]: .*an injected transient failure at source-read/);
  }, 30_000);
});
