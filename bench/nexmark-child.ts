/**
 * The child process of one Nexmark measurement: `node --require ./runners/load/register.js bench/nexmark-child.ts '{"query","events","parallelism"}'`.
 * Runs the query on Beamline's direct runner and writes `{events, seconds, cpuSeconds, results, peakRssMB}` to the
 * file named by `BENCH_RESULT_FILE`.
 */
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import { writeResult } from "./measure";
import { nexmarkPipeline, RESULTS_STEP } from "./nexmark-pipelines";

async function main(): Promise<void> {
  const { query, events, parallelism } = JSON.parse(process.argv[2] ?? "{}") as { query: string; events: number; parallelism: number };
  const started = process.hrtime.bigint();
  const result = await new DirectRunner({ parallelism }).run(buildPipeline(nexmarkPipeline, { query, events }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let results = 0;
  for (const [transform, counters] of result.metrics.counters) if (transform.startsWith(RESULTS_STEP)) results += counters.get("results") ?? 0;
  const usage = process.resourceUsage();
  // CPU time of every thread of the process (workers included), as Nexmark's "cores × time".
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  writeResult({ events, seconds, cpuSeconds, results, peakRssMB: usage.maxRSS / 1024 });
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
