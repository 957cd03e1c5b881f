/** Runs a pipeline on a runner chosen by name: the direct runner by default, or a portable one. */
import { OptionError } from "../sdk/errors";
import type { Pipeline } from "../sdk/pipeline";
import { RUNNER_NAMES, type RunnerName, type RunResult } from "../sdk/runner";
import type { DirectRunnerOptions } from "./direct/runner";
import { directRunner, type DirectRunResult } from "./direct-runner";
import type { PortableRunOptions, PortableRunResult } from "./portable-runners";
import type { DataflowRunnerOptions, DataflowRunResult } from "./dataflow/runner";

/** Options of {@link runPipeline} on the direct runner. */
export type DirectRunOptions = DirectRunnerOptions & { readonly runner?: "direct" };

/** Options of {@link runPipeline} on a portable runner. */
export type PortableRunPipelineOptions = PortableRunOptions & { readonly runner: "prism" | "flink" | "portable" };

/** Options of {@link runPipeline} on Google Cloud Dataflow. */
export type DataflowRunPipelineOptions = DataflowRunnerOptions & { readonly runner: "dataflow" };

/** Options of {@link runPipeline}: the runner (default `direct`) and its options, all of which can be left unset (Dataflow's project, region and temp location excepted). */
export type RunOptions = DirectRunOptions | PortableRunPipelineOptions | DataflowRunPipelineOptions;

/** Runs a pipeline to completion on the direct runner (the default). */
export function runPipeline(pipeline: Pipeline, options?: DirectRunOptions): Promise<DirectRunResult>;
/** Runs a pipeline to completion on a portable runner (Prism, Flink, or any Beam job service). */
export function runPipeline(pipeline: Pipeline, options: PortableRunPipelineOptions): Promise<PortableRunResult>;
/** Runs a pipeline on Google Cloud Dataflow: to completion, or until submitted (`detach`), or writes the job request (`dataflowJobFile`). */
export function runPipeline(pipeline: Pipeline, options: DataflowRunPipelineOptions): Promise<DataflowRunResult>;
/** Runs a pipeline to completion on the chosen runner. */
export function runPipeline(pipeline: Pipeline, options?: RunOptions): Promise<RunResult>;
export async function runPipeline(pipeline: Pipeline, options: RunOptions = {}): Promise<RunResult> {
  const { runner = "direct", ...rest } = options;
  if (!(RUNNER_NAMES as readonly string[]).includes(runner)) {
    throw new OptionError({
      code: "BL_UNKNOWN_RUNNER",
      value: runner,
      rule: "is not a Beamline runner",
      fix: `use one of: ${RUNNER_NAMES.join(", ")}`,
    });
  }
  if (runner === "direct") return directRunner.run(pipeline, rest as DirectRunnerOptions);
  if (runner === "dataflow") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dataflowRunner } = require("./dataflow/runner") as typeof import("./dataflow/runner");
    return dataflowRunner.run(pipeline, rest as DataflowRunnerOptions);
  }
  // Portable runners load gRPC and Beam's protos only when used. `require`, not `import()`: the
  // `beamline` command compiles TypeScript through CommonJS hooks, which a dynamic import bypasses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { portableRunner } = require("./portable-runners") as typeof import("./portable-runners");
  return portableRunner(runner as Exclude<RunnerName, "direct" | "dataflow">).run(pipeline, rest as PortableRunOptions);
}
