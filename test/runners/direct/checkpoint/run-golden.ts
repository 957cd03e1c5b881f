/**
 * Runs the golden pipeline with checkpoints, in a process of its own, so a test can kill it:
 * `node --import tsx run-golden.ts INPUT OUTPUT CHECKPOINT_DIR INTERVAL_MS PARALLELISM [--resume]`.
 * Prints `done <checkpoint durations>` when the run completes.
 */
import { buildPipeline, DirectRunner } from "beamline";
import { checkpointGolden } from "./pipelines";

async function main(): Promise<void> {
  const [input, output, dir, interval, parallelism] = process.argv.slice(2);
  const resume = process.argv.includes("--resume");
  const pipeline = buildPipeline(checkpointGolden, { input, output });
  const runner = new DirectRunner({ parallelism: Number(parallelism), checkpoint: { dir, intervalMs: Number(interval), resume } });
  const result = await runner.run(pipeline);
  process.stdout.write(`done ${JSON.stringify(result.checkpoints)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
