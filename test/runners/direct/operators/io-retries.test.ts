/**
 * Sources and sinks retry transient I/O errors: a read that fails twice goes on from where it got to,
 * and one that keeps failing fails the run after a final checkpoint, from which --resume completes.
 * The failures are the `source-read` fault point's EIO, in a real run of the `beamline` command.
 */
import * as path from "node:path";
import { type Committer, create, IOError, Pipeline, recordBatchToRows, runPipeline, type Sink, type SinkWriter, writeTo } from "beamline";
import type { JsonValue } from "../../../../sdk/graph";
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
    const run = await startCli(COPY, args, { BEAMLINE_FAULT: "source-read:2x2/eio" }).exit;
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
    const failed = await startCli(COPY, args, { BEAMLINE_FAULT: "source-read:6+/eio" }).exit;
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

/** A sink that keeps committed rows in memory; opening its writers and its commits fail with a transient error the first `failures` times each. */
class FlakySink implements Sink {
  readonly committed: unknown[] = [];
  opens = 0;
  commits = 0;
  constructor(private readonly failures: number, private readonly error: () => unknown) {}
  readonly committer: Committer = {
    commit: async (committables) => {
      if (++this.commits <= this.failures) throw this.error();
      for (const c of committables) this.committed.push(...(c as unknown[]));
      return [];
    },
    abort: async () => {},
  };
  async createWriter(): Promise<SinkWriter> {
    if (++this.opens <= this.failures) throw this.error();
    let rows: unknown[] = [];
    return {
      write: (batch) => void rows.push(...recordBatchToRows(batch.data)),
      prepareCommit: async () => {
        const staged = rows as JsonValue[];
        rows = [];
        return [staged];
      },
      abort: async () => void (rows = []),
    };
  }
  async abortLingering(): Promise<void> {}
}

describe("transient and permanent I/O errors of a sink", () => {
  const flaky = () => new IOError({ code: "BL_TEST_FLAKY", domain: "external", rule: "the store is briefly unavailable", retriable: true });

  test("opening a writer and committing are retried: every row committed once, the retries counted", async () => {
    const sink = new FlakySink(2, flaky);
    const p = new Pipeline();
    p.apply("Nums", create(Array.from({ length: 100 }, (_, i) => i))).apply("Write", writeTo(sink));
    const result = await runPipeline(p);
    expect((sink.committed as number[]).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([sink.opens, sink.commits]).toEqual([3, 3]);
    expect(result.metrics.counters.get("Write")?.get("ioRetries")).toBe(4);
  });

  test("a permanent error is not retried: the run fails with it at once", async () => {
    const denied = new IOError({ code: "BL_TEST_DENIED", rule: "the store refuses the write" });
    const sink = new FlakySink(1, () => denied);
    const p = new Pipeline();
    p.apply("Nums", create([1, 2, 3])).apply("Write", writeTo(sink));
    await expect(runPipeline(p)).rejects.toBe(denied);
    expect(sink.opens).toBe(1);
  });
});
