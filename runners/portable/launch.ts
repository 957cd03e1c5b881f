/**
 * Runs a pipeline on a portable runner by name, starting what it needs: `prism` starts Beam's Prism
 * (unless a job endpoint is given), `flink` starts Beam's Flink job server against an embedded Flink or
 * a session cluster (unless a job endpoint is given), `portable` uses the given job endpoint.
 * Services started here are stopped when the run ends.
 */
import { OptionError } from "../../sdk/errors";
import type { Pipeline } from "../../sdk/pipeline";
import { startFlinkJobServer } from "../flink/flink";
import { startPrism } from "../prism/prism";
import type { Service } from "./process";
import { EnvironmentType, PortableResult, PortableRunner, PortableRunnerOptions } from "./runner";

/** The portable runners by name. */
export type PortableRunnerName = "flink" | "prism" | "portable";

/** Options of {@link runPortable}. */
export interface LaunchOptions {
  readonly runner: PortableRunnerName;
  /** A running job service, `host:port`; required for `portable`, optional otherwise. */
  readonly jobEndpoint?: string;
  /** For `flink` without a job endpoint: `[local]` (embedded, the default) or a session cluster's `host:port`. */
  readonly flinkMaster?: string;
  readonly environmentType?: EnvironmentType;
  readonly environmentConfig?: string;
  /** Parallelism the runner uses (Flink). */
  readonly parallelism?: number;
  /** Passed on to the {@link PortableRunner}. */
  readonly runnerOptions?: Partial<PortableRunnerOptions>;
}

/** Runs `pipeline` on the named portable runner. */
export async function runPortable(pipeline: Pipeline, o: LaunchOptions): Promise<PortableResult> {
  let service: Service | null = null;
  let jobEndpoint = o.jobEndpoint || "";
  if (!jobEndpoint) {
    if (o.runner === "portable") {
      throw new OptionError({
        code: "BL_NO_JOB_ENDPOINT",
        rule: "the portable runner needs a job service",
        fix: "pass --job-endpoint=HOST:PORT, or use --runner=flink or --runner=prism, which start their own",
      });
    }
    const s = o.runner === "prism" ? await startPrism() : await startFlinkJobServer({ flinkMaster: o.flinkMaster });
    service = s;
    jobEndpoint = s.jobEndpoint;
  }
  try {
    const pipelineOptions: Record<string, unknown> = {};
    if (o.parallelism) pipelineOptions.parallelism = o.parallelism;
    return await new PortableRunner({
      jobEndpoint,
      runnerName: o.runner,
      environmentType: o.environmentType,
      environmentConfig: o.environmentConfig,
      pipelineOptions,
      ...o.runnerOptions,
    }).run(pipeline);
  } finally {
    await service?.stop();
  }
}
