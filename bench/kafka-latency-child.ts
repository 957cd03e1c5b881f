/**
 * The child process of one Kafka latency measurement:
 * `node --require ./runners/load/register.js bench/kafka-latency-child.ts '<params json>'`, started by kafka-latency.ts.
 *
 * Runs {@link kafkaLatencyPipeline} on the direct runner with aligned checkpoints, serving its metrics
 * on a free loopback port (the URL written to `metricsUrlFile`, for the harness to scrape), until the
 * file `stopFile` appears: then the run stops gracefully (a final checkpoint, committed) and the child
 * writes what the run reports (checkpoints, alignment) to the harness's result file.
 */
import * as fs from "node:fs";
import { DirectRunner } from "../index";
import { buildPipeline } from "../sdk/definition";
import { kafkaLatencyPipeline } from "./kafka-latency-pipeline";
import { writeResult } from "./measure";

/** What the harness passes. */
export interface LatencyChildParams {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly semantics: "exactly-once" | "at-least-once";
  readonly parallelism: number;
  /** A keyed step (a count per key in state) before the sink. */
  readonly keyed: boolean;
  readonly checkpointIntervalMs: number;
  readonly checkpointDir: string;
  /** The run stops once this file exists. */
  readonly stopFile: string;
  /** The child writes its metrics endpoint's URL here. */
  readonly metricsUrlFile: string;
}

/** What the child reports about its whole run (warm-up and drain included). */
export interface LatencyChildResult {
  readonly state: string;
  readonly checkpointsCompleted: number;
  readonly checkpointDurationsMs: readonly number[];
  /** Time sources held their input for a checkpoint's barrier, over every transform and instance (ms). */
  readonly alignmentMs: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
}

/** How often the child looks for the stop file (ms). */
const STOP_POLL_MS = 100;

async function main(): Promise<void> {
  const params = JSON.parse(process.argv[2] ?? "") as LatencyChildParams;
  const stop = new AbortController();
  const poll = setInterval(() => {
    if (fs.existsSync(params.stopFile)) stop.abort();
  }, STOP_POLL_MS);
  try {
    const pipeline = buildPipeline(kafkaLatencyPipeline, { brokers: params.brokers, input: params.input, output: params.output, semantics: params.semantics, shards: params.parallelism, keyed: params.keyed });
    const result = await new DirectRunner({
      parallelism: params.parallelism,
      checkpoint: { dir: params.checkpointDir, intervalMs: params.checkpointIntervalMs },
      stop: stop.signal,
      metricsPort: 0,
      metricsIntervalMs: 250,
      onMetricsServer: (url) => fs.writeFileSync(params.metricsUrlFile, url),
    }).run(pipeline);
    const totals = [...result.metrics.transforms.values()];
    const out: LatencyChildResult = {
      state: result.state,
      checkpointsCompleted: result.checkpoints?.durationsMs.length ?? 0,
      checkpointDurationsMs: result.checkpoints?.durationsMs ?? [],
      alignmentMs: totals.reduce((s, t) => s + t.alignmentMs, 0),
      rowsRead: result.metrics.transforms.get("Read")?.rowsOut ?? 0,
      rowsWritten: result.metrics.transforms.get("Write")?.rowsIn ?? 0,
    };
    writeResult(out);
  } finally {
    clearInterval(poll);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
