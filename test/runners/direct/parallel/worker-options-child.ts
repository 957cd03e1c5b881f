/**
 * Started by worker-bundle.test.ts as `node --max-old-space-size=… --import tsx` (options a worker
 * refuses, and tsx): starts the workers of a bundled pipeline and prints the options they started with.
 */
import { buildPipeline } from "beamline";
import { pipelineSpec } from "../../../../runners/direct/parallel/bootstrap";
import { bundledWorkerExecArgv, startWorkers } from "../../../../runners/direct/parallel/pool";
import { numbers } from "./pipelines";

async function main(): Promise<void> {
  const spec = pipelineSpec(buildPipeline(numbers, { count: 3 }));
  if ("reason" in spec) throw new Error(spec.reason);
  const workers = await startWorkers(spec, 2);
  await Promise.all(workers.map((w) => w.thread.terminate()));
  process.stdout.write(JSON.stringify({ bundle: spec.bundle ?? null, execArgv: bundledWorkerExecArgv() }));
}

void main();
