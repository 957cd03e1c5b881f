/** The direct runner behind the {@link Runner} contract. */
import type { Runner, RunResult } from "../sdk/runner";
import { DirectRunner, type DirectRunnerOptions, type PipelineResult } from "./direct/runner";

/** What a direct run resolves to: the common result, and the plan, parallelism, restarts and checkpoints of the run. */
export type DirectRunResult = PipelineResult & RunResult & { readonly runner: "direct" };

/** The direct runner: local, multithreaded, checkpointed; every option defaults (see {@link DirectRunnerOptions}). */
export const directRunner: Runner<DirectRunnerOptions, DirectRunResult> = {
  name: "direct",
  async run(pipeline, options = {}) {
    return { ...(await new DirectRunner(options).run(pipeline)), runner: "direct" };
  },
};
