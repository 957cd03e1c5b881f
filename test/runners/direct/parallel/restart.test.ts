import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { restartDelay, restartStrategy } from "../../../../runners/direct/parallel/restart";
import { rng, tempDir } from "../../../helpers";
import { outputLines } from "./files";
import { crashesWorker, exitsInWorker } from "./pipelines";

const WINDOWED = path.join(__dirname, "..", "checkpoint", "windowed-golden.ts");
import { startCli } from "../checkpoint/children";
import { writeRows } from "../checkpoint/inputs";
import { checkpointGolden } from "../checkpoint/pipelines";


describe("restart strategies", () => {
  test("fixed delay and exponential backoff give up after their attempts", () => {
    const fixed = restartStrategy("fixed-delay", 2, 50);
    expect([1, 2, 3].map((a) => restartDelay(fixed, a))).toEqual([50, 50, null]);
    const backoff = restartStrategy("exponential-backoff", 4, 100);
    expect([1, 2, 3, 4, 5].map((a) => restartDelay(backoff, a))).toEqual([100, 200, 400, 800, null]);
    expect(restartDelay(restartStrategy("none"), 1)).toBeNull();
    expect(() => restartStrategy("fixed-delay", 0)).toThrow(/--restart-attempts/);
  });

  test("a worker thread killed at a random point: the run restarts and its output equals a fault-free run", async () => {
    const dir = tempDir();
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(crashesWorker, { output: path.join(dir, "clean") }));
    const random = rng(20261121);
    for (let trial = 0; trial < 2; trial++) {
      const crashAt = Math.floor(random() * 150_000);
      const marker = path.join(dir, `crashed-${trial}`);
      const r = await new DirectRunner({ parallelism: 2, restartStrategy: restartStrategy("fixed-delay", 2, 10) }).run(
        buildPipeline(crashesWorker, { output: path.join(dir, `run${trial}`), crashAt, marker }),
      );
      expect(fs.existsSync(marker)).toBe(true); // the worker did die
      expect(r.restarts).toBe(1);
      expect(outputLines(dir, `run${trial}`)).toEqual(outputLines(dir, "clean"));
    }
    expect(outputLines(dir, "clean")).toHaveLength(1013);
  });

  test("process.exit in a user function on a worker, on rows that came through the exchange: the instance fails with BL_PROCESS_EXIT and the worker lives", async () => {
    const dir = tempDir();
    const err = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(exitsInWorker, { output: path.join(dir, "out") })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_PROCESS_EXIT");
    expect((err as Error).message).toMatch(/instance 1 of the pipeline: 5 — a user function called process\.exit/);
    expect(outputLines(dir, "out")).toEqual([]);
  });

  test("a worker that dies on every attempt fails the run once the attempts are spent, committing nothing", async () => {
    const dir = tempDir();
    const err = await new DirectRunner({ parallelism: 2, restartStrategy: restartStrategy("fixed-delay", 1, 10) })
      .run(buildPipeline(crashesWorker, { output: path.join(dir, "out") }))
      .catch((e: unknown) => e);
    // The error names its cause and says the restarts ran out; it is no internal error.
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_RESTARTS_EXHAUSTED");
    expect((err as BeamlineError).domain).not.toBe("internal");
    expect((err as Error).message).toMatch(/the run failed again after its 1 restart its restart strategy allows; the last failure: \[BL_WORKER_DIED\] worker thread 1 died before its instance of the pipeline finished \("exit code 1"\)/);
    expect(((err as Error).cause as BeamlineError).code).toBe("BL_WORKER_DIED");
    expect(outputLines(dir, "out")).toEqual([]);
  });
});

describe("restarts of a checkpointed run", () => {
  test("a worker thread killed at a seeded random batch: the run restarts from its latest checkpoint, and its output equals a fault-free run", async () => {
    const dir = tempDir();
    const input = path.join(dir, "input.txt");
    writeRows(input, 100_000);
    await new DirectRunner({ parallelism: 1 }).run(buildPipeline(checkpointGolden, { input, output: path.join(dir, "clean") }));
    const random = rng(4242);
    const restarts: string[] = [];
    // Every trial must give the fault-free output; trials go on (at most four) until a restart took up
    // a checkpoint, not only started over (a worker may die before the first checkpoint completed).
    for (let trial = 0; trial < 4 && !restarts.some((r) => r.startsWith("checkpoint")); trial++) {
      const marker = path.join(dir, `died-${trial}`);
      // The fault hook makes worker thread 1 exit after its n-th exchanged batch (of about 17), once.
      const env = { BEAMLINE_FAULT: `worker-batch:${8 + Math.floor(random() * 6)}`, BEAMLINE_FAULT_ONCE: marker };
      const args = [`--input=${input}`, `--output=${path.join(dir, `run${trial}`)}`, "--parallelism=2", `--checkpoint-dir=${path.join(dir, `chk-${trial}`)}`, "--checkpoint-interval=10"];
      const r = await startCli(WINDOWED, [...args, "--restart-strategy=fixed-delay", "--restart-delay=10"], env).exit;
      expect(r.code).toBe(0);
      expect(fs.existsSync(marker)).toBe(true); // the worker did die
      const restart = /restarted from (checkpoint \d+|the start)/.exec(r.err);
      expect(restart).not.toBeNull(); // and the run restarted, once
      // ... which it said as it happened, from the same checkpoint.
      const from = restart![1] === "the start" ? "from the beginning \\(no checkpoint completed yet\\)" : `from ${restart![1]}`;
      expect(r.err).toMatch(new RegExp(`beamline: restart 1 of 3 in 10 ms, ${from}, after: \\[BL_WORKER_DIED\\] worker thread 1 died before its instance of the pipeline finished \\("exit code 70"\\)$`, "m"));
      restarts.push(restart![1]);
      expect(outputLines(dir, `run${trial}`)).toEqual(outputLines(dir, "clean"));
    }
    expect(restarts.some((r) => r.startsWith("checkpoint"))).toBe(true);
  }, 60_000);
});
