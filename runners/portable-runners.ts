/**
 * The portable runners behind the {@link Runner} contract: `prism` and `flink` start their job
 * service when no endpoint is given, `portable` runs on a given Beam job service. Loading this file
 * loads gRPC and Beam's protos, so {@link runPipeline} imports it only for these runners.
 */
import type { Runner, RunResult } from "../sdk/runner";
import { afterCancelFor, launcherFor } from "./launchers";
import { userMetricResults, type UserMetric } from "./portable/harness/metrics";
import type { MetricQueryResults, MetricsFilter } from "../sdk/metrics";
import { runPortable, type PortableRunnerName } from "./portable/launch";
import type { PortableResult, PortableRunnerOptions } from "./portable/runner";

/** Options of the portable runners; all can be left unset. */
export interface PortableRunOptions extends Omit<PortableRunnerOptions, "jobEndpoint" | "runnerName"> {
  /** A running Beam job service, `host:port`. Default: none (`prism` and `flink` start their own; `portable` needs one). */
  readonly jobEndpoint?: string;
  /** flink: `[local]` for an embedded Flink (default), or a session cluster's REST `host:port`. */
  readonly flinkMaster?: string;
  /** flink: the Flink version (minor, such as `1.19`) of the job server Beamline starts. Default and choices: `DEFAULT_FLINK_VERSION` and `FLINK_VERSIONS` in runners/flink/flink.ts. */
  readonly flinkVersion?: string;
  /** The parallelism the runner uses (Flink). Default: the runner's. */
  readonly parallelism?: number;
}

/** What a portable run resolves to: the common result, the job's id and messages, and the user metrics by namespace. */
export type PortableRunResult = Omit<PortableResult, "metrics"> &
  RunResult & {
    readonly runner: PortableRunnerName;
    /** The user metrics the runner reported, with their namespaces and distributions whole. */
    readonly userMetrics: readonly UserMetric[];
    /** The named counters per transform, and the user metrics to query as with Beam's `MetricResults.query`. */
    readonly metrics: RunResult["metrics"] & { query(filter?: MetricsFilter): MetricQueryResults };
  };

/** The named portable runner. */
export function portableRunner(name: PortableRunnerName): Runner<PortableRunOptions, PortableRunResult> {
  return {
    name,
    async run(pipeline, options = {}) {
      const { jobEndpoint, flinkMaster, flinkVersion, environmentType, environmentConfig, parallelism, ...runnerOptions } = options;
      const r = await runPortable(pipeline, {
        runner: name,
        jobEndpoint,
        launcher: launcherFor(name, { flinkMaster, flinkVersion }),
        environmentType,
        environmentConfig,
        parallelism,
        runnerOptions: { afterCancel: afterCancelFor(name, { flinkMaster }), ...runnerOptions },
      });
      const results = userMetricResults(r.metrics);
      return { state: r.state, runner: name, jobId: r.jobId, messages: r.messages, userMetrics: r.metrics, metrics: { counters: countersOf(r.metrics), query: (filter) => results.query(filter) } };
    },
  };
}

/** User metrics as named counters per transform, the way the direct runner counts them: a distribution as `name.count` and `name.sum` (a gauge is no counter). */
export function countersOf(metrics: readonly UserMetric[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const add = (transform: string, name: string, n: number) => {
    let m = out.get(transform);
    if (!m) out.set(transform, (m = new Map()));
    m.set(name, (m.get(name) ?? 0) + n);
  };
  for (const m of metrics) {
    if (typeof m.value === "number") add(m.transform, m.name, m.value);
    else if ("count" in m.value) {
      add(m.transform, `${m.name}.count`, m.value.count);
      add(m.transform, `${m.name}.sum`, m.value.sum);
    }
  }
  return out;
}
