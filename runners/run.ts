/** Runs a pipeline on a runner chosen by name. */
import type { Pipeline } from "../sdk/pipeline";
import { DirectRunner, DirectRunnerOptions, PipelineResult } from "./direct/runner";

/** Options of {@link runPipeline}. */
export interface RunOptions extends DirectRunnerOptions {
  /** The runner; only `direct` in this release. */
  readonly runner?: "direct";
}

/** Runs a pipeline to completion on the chosen runner (the direct runner by default). */
export async function runPipeline(pipeline: Pipeline, options: RunOptions = {}): Promise<PipelineResult> {
  return new DirectRunner(options).run(pipeline);
}
