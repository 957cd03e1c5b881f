/**
 * The job service each portable runner starts when no job endpoint is given: `prism` starts Beam's
 * Prism, `flink` Beam's Flink job server (against an embedded Flink or a session cluster), `portable`
 * none. The choice lives here, above the portable runner and the launchers it is given.
 */
import type { JobServiceLauncher, PortableRunnerName } from "./portable/launch";
import { startFlinkJobServer } from "./flink/flink";
import { startPrism } from "./prism/prism";

/** The launcher of the named portable runner; `flinkMaster` is `[local]` or a session cluster's `host:port`. */
export function launcherFor(runner: PortableRunnerName, options: { flinkMaster?: string } = {}): JobServiceLauncher | undefined {
  switch (runner) {
    case "prism":
      return () => startPrism();
    case "flink":
      return () => startFlinkJobServer({ flinkMaster: options.flinkMaster });
    case "portable":
      return undefined;
  }
}
