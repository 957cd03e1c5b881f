/**
 * Runs a pipeline on a portable runner: on the given job endpoint, or on a job service its launcher
 * starts (Prism, Beam's Flink job server — the launchers live with those runners, which import this
 * file, never the other way). A service started here is stopped when the run ends.
 */
import { OptionError } from "../../sdk/errors";
import type { Pipeline } from "../../sdk/pipeline";
import type { Service } from "./provision/process";
import { EnvironmentType, PortableResult, PortableRunner, PortableRunnerOptions } from "./runner";

/** The portable runners by name. */
export type PortableRunnerName = "flink" | "prism" | "portable";

/** A job service a launcher started. */
export interface JobService extends Service {
  /** Its job endpoint, `host:port`. */
  readonly jobEndpoint: string;
}

/** Starts a job service for one run (Prism, Beam's Flink job server); the run stops it when it ends. */
export type JobServiceLauncher = () => Promise<JobService>;

/** Options of {@link runPortable}. */
export interface LaunchOptions {
  readonly runner: PortableRunnerName;
  /** A running job service, `host:port`; without one, {@link launcher} starts one. */
  readonly jobEndpoint?: string;
  /** Starts the runner's job service when no job endpoint is given (none for `portable`). */
  readonly launcher?: JobServiceLauncher;
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
    if (!o.launcher) {
      throw new OptionError({
        code: "BL_NO_JOB_ENDPOINT",
        value: o.runner,
        rule: `the ${o.runner} runner needs a job service and starts none of its own`,
        fix: "pass --job-endpoint=HOST:PORT, or use --runner=flink or --runner=prism, which start their own",
      });
    }
    const s = await o.launcher();
    service = s;
    jobEndpoint = s.jobEndpoint;
  }
  try {
    const pipelineOptions: Record<string, unknown> = { ...o.runnerOptions?.pipelineOptions };
    if (o.parallelism) pipelineOptions.parallelism = o.parallelism;
    return await new PortableRunner({
      jobEndpoint,
      runnerName: o.runner,
      environmentType: o.environmentType,
      environmentConfig: o.environmentConfig,
      ...o.runnerOptions,
      pipelineOptions,
    }).run(pipeline);
  } finally {
    await service?.stop();
  }
}
