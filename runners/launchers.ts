/**
 * The job service each portable runner starts when no job endpoint is given: `prism` starts Beam's
 * Prism, `flink` Beam's Flink job server (against an embedded Flink or a session cluster), `portable`
 * none. The choice lives here, above the portable runner and the launchers it is given.
 */
import type { JobServiceLauncher, PortableRunnerName } from "./portable/launch";
import { cancelClusterJobs, checkFlinkVersion, DEFAULT_FLINK_VERSION, startFlinkJobServer } from "./flink/flink";
import { startPrism } from "./prism/prism";

/**
 * The launcher of the named portable runner; `flinkMaster` is `[local]` or a session cluster's
 * `host:port`, `flinkVersion` the Flink version of the job server (checked here, before anything starts).
 */
export function launcherFor(runner: PortableRunnerName, options: { flinkMaster?: string; flinkVersion?: string } = {}): JobServiceLauncher | undefined {
  switch (runner) {
    case "prism":
      return () => startPrism();
    case "flink": {
      const flinkVersion = checkFlinkVersion(options.flinkVersion ?? DEFAULT_FLINK_VERSION);
      return () => startFlinkJobServer({ flinkMaster: options.flinkMaster, flinkVersion });
    }
    case "portable":
      return undefined;
  }
}

/**
 * What ends a cancelled job beyond the job service's own cancel: on a Flink session cluster (a
 * `flinkMaster` other than `[local]`), the job of that name is cancelled through Flink's REST API, which
 * Beam's Flink job server does not do.
 */
export function afterCancelFor(runner: PortableRunnerName, options: { flinkMaster?: string } = {}): ((jobName: string) => Promise<unknown>) | undefined {
  const master = options.flinkMaster;
  if (runner !== "flink" || !master || master === "[local]") return undefined;
  return (jobName) => cancelClusterJobs(master, jobName);
}
