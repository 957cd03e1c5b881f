/** The benchmark's Nexmark pipelines: the same results on one thread and on two with frequent checkpoints. */
import { buildPipeline, DirectRunner } from "beamline";
import { nexmarkPipeline, RESULTS_STEP } from "../../bench/nexmark-pipelines";
import { tempDir } from "../helpers";

const results = (r: { metrics: { counters: ReadonlyMap<string, ReadonlyMap<string, number>> } }) =>
  [...r.metrics.counters].filter(([t]) => t.startsWith(RESULTS_STEP)).reduce((n, [, c]) => n + (c.get("results") ?? 0), 0);

test.each(["3", "4", "7"])("query %s counts the same results at parallelism 2, checkpointed every 5 ms, as at 1", async (query) => {
  const options = { query, events: 30_000 };
  const one = await new DirectRunner({ parallelism: 1 }).run(buildPipeline(nexmarkPipeline, options));
  const two = await new DirectRunner({ parallelism: 2, checkpoint: { dir: tempDir(), intervalMs: 5 } }).run(buildPipeline(nexmarkPipeline, options));
  expect(results(one)).toBeGreaterThan(0);
  expect(results(two)).toBe(results(one));
  expect(two.checkpoints!.durationsMs.length).toBeGreaterThan(0);
}, 120_000);
