/**
 * Dead letters are ordinary outputs: across worker threads and under checkpoints, every element is
 * written once, to main or to dead letters, as at one thread.
 */
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { tempDir } from "../helpers";
import { outputLines as lines } from "../runners/direct/parallel/files";
import { parseWithDeadLetters } from "./fixtures/dead-letter-pipelines";

test("at parallelism 2 with checkpoints every 5 ms, good rows and dead letters are those of one thread, each once", async () => {
  const dir = tempDir();
  const rows = 20_000;
  const one = await new DirectRunner({ parallelism: 1 }).run(buildPipeline(parseWithDeadLetters, { output: path.join(dir, "p1"), rows }));
  const two = await new DirectRunner({ parallelism: 2, checkpoint: { dir: path.join(dir, "chk"), intervalMs: 5 } }).run(
    buildPipeline(parseWithDeadLetters, { output: path.join(dir, "p2"), rows }),
  );
  expect(two.parallelism).toBe(2);
  expect(two.checkpoints!.durationsMs.length).toBeGreaterThan(0);
  const dead = lines(dir, "p1-dead");
  expect(dead).toHaveLength(rows / 10);
  expect(dead).toContain('{"id":13} 2 13 — id 13 failed.');
  expect(lines(dir, "p1-good")).toHaveLength(rows - rows / 10);
  expect(lines(dir, "p2-dead")).toEqual(dead);
  expect(lines(dir, "p2-good")).toEqual(lines(dir, "p1-good"));
  expect(two.metrics.counters.get("Parse")?.get("deadLetters")).toBe(rows / 10);
  expect(one.metrics.counters.get("Parse")?.get("retries")).toBe(rows / 10 + rows / 10);
}, 120_000);
