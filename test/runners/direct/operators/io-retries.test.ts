/**
 * Sources and sinks retry transient I/O errors: a read that fails twice goes on from where it got to,
 * and one that keeps failing fails the run after a final checkpoint, from which --resume completes.
 * The failures are the `source-read` fault point's EIO, in a real run of the `beamline` command.
 */
import * as path from "node:path";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import { listFiles, tmpDir, writeLines } from "../../../transforms/io/helpers";
import { startCli } from "../checkpoint/children";
import { outputLines } from "../parallel/files";

const COPY = path.join(__dirname, "..", "checkpoint", "pass-through.ts");

describe("transient and permanent I/O errors of a read", () => {
  test("a read that fails twice is read again from where it got to: every line once, two retries counted in the summary", async () => {
    const d = tmpDir();
    const input = path.join(d, "in.txt");
    const lines = writeLines(input, 100_000);
    const args = [`--input=${input}`, `--output=${path.join(d, "out", "copy")}`, "--parallelism=1"];
    const run = await startCli(COPY, args, { BEAMLINE_FAULT: "source-read:2-3" }).exit;
    expect(run.err).not.toMatch(/BL_/);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/beamline: Read: .*ioRetries=2/);
    expect(outputLines(path.join(d, "out"), "copy")).toEqual(lines);
  }, 60_000);

  test("a read that keeps failing fails the run naming the file after a final checkpoint; --resume then completes with every line once", async () => {
    const d = tmpDir();
    const input = path.join(d, "in.txt");
    const lines = writeLines(input, 300_000);
    const out = path.join(d, "out");
    const dir = path.join(d, "chk");
    const args = [`--input=${input}`, `--output=${path.join(out, "copy")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=200", "--parallelism=1"];
    // Chunks 1 to 5 are delivered; every read of chunk 6 fails, however often it is tried.
    const failed = await startCli(COPY, args, { BEAMLINE_FAULT: "source-read:6+" }).exit;
    expect(failed.code).not.toBe(0);
    expect(failed.err).toMatch(/BL_IO_READ_FAILED/);
    expect(failed.err).toContain(`file ${input}`);
    const final = /checkpoint (\d+) holds everything read before it/.exec(failed.err);
    expect(final).not.toBeNull();
    // The final checkpoint is the last completed one, taken after the failure: it holds the five chunks read.
    expect(new CheckpointStore(dir).completed().at(-1)!.id).toBe(Number(final![1]));
    const published = outputLines(out, "copy");
    expect(published.length).toBeGreaterThan(0);
    const resumed = await startCli(COPY, [...args, "--resume"]).exit;
    expect(resumed.err).not.toMatch(/BL_/);
    expect(resumed.code).toBe(0);
    expect(outputLines(out, "copy")).toEqual(lines);
    expect(listFiles(out).filter((f) => f.startsWith(".beamline-staging"))).toEqual([]);
  }, 60_000);
});
