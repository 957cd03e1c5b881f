/**
 * Which runner options belong to which runner on the command line: Dataflow's options mean nothing to
 * the other runners, and the local runners' settings (checkpoints, restarts, threads, job services,
 * local ports) mean nothing to Dataflow, and the direct runner's own settings (batch size, state backend,
 * checkpoint retention) mean nothing to the portable runners. A run given options of another runner is
 * refused, listing them all, rather than run with them silently ignored.
 */
import { OptionError } from "../../sdk/errors";

/** The options only the dataflow runner takes. */
export const DATAFLOW_ONLY = ["project", "region", "tempLocation", "stagingLocation", "streaming", "serviceAccount", "network", "subnetwork", "maxWorkers", "sdkContainerImage", "detach", "dataflowJobFile", "jobName", "dataflowEndpoint"] as const;

/** The options the dataflow runner does not take, with what to use there instead. */
const NOT_ON_DATAFLOW: Record<string, string> = {
  jobEndpoint: "Dataflow is its own job service",
  flinkMaster: "it is Flink's",
  flinkVersion: "it is Flink's",
  environmentType: "Dataflow runs Beamline's SDK image (--sdk-container-image)",
  environmentConfig: "Dataflow runs Beamline's SDK image (--sdk-container-image)",
  parallelism: "Dataflow scales workers itself (--max-workers bounds them)",
  batchSize: "it is the direct runner's",
  stateBackend: "it is the direct runner's (Dataflow keeps its own state)",
  stateDir: "it is the direct runner's (Dataflow keeps its own state)",
  restartStrategy: "Dataflow retries failed work itself",
  restartAttempts: "Dataflow retries failed work itself",
  restartDelay: "Dataflow retries failed work itself",
  checkpointDir: "Dataflow keeps its own state",
  checkpointInterval: "Dataflow keeps its own state",
  checkpointsRetained: "Dataflow keeps its own state",
  tolerableCheckpointFailures: "Dataflow keeps its own state",
  resume: "Dataflow keeps its own state",
  forceCodeChange: "Dataflow keeps its own state",
  metricsPort: "the job's metrics are in the Dataflow console",
  metricsHost: "the job's metrics are in the Dataflow console",
  uiPort: "the job's page is in the Dataflow console",
  injectFaults: "it is the direct runner's soak test",
  runnerOption: "it passes Beam options to a portable runner's job service; Dataflow's settings are its own flags",
};

/** The options the direct runner does not take, with why. */
const NOT_ON_DIRECT: Record<string, string> = {
  runnerOption: "it passes Beam options to a portable runner's job service",
};

/** The options the portable runners (flink, prism, portable) do not take, with why. */
const NOT_ON_PORTABLE: Record<string, string> = {
  batchSize: "it is the direct runner's; the runner sizes its own bundles",
  stateBackend: "it is the direct runner's; the runner keeps its own state (Flink: in its state backend, checkpointed with --checkpoint-dir)",
  stateDir: "it is the direct runner's; the runner keeps its own state",
  checkpointsRetained: "it is the direct runner's; Flink keeps its own completed checkpoints",
  tolerableCheckpointFailures: "it is the direct runner's",
  forceCodeChange: "it goes with the direct runner's --resume",
};

/** `--kebab-case` of an option's name. */
function flag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The refusal of options `wrong` on `runner`, each with why (from `why`). */
function refusal(runner: string, wrong: readonly string[], why: Record<string, string>, fix: string): OptionError {
  return new OptionError({
    code: "BL_UNSUPPORTED_RUN_OPTION",
    where: `the ${runner} runner`,
    value: wrong.map(flag),
    rule: `the ${runner} runner does not take ${wrong.map((w) => `${flag(w)} (${why[w]})`).join(", ")}`,
    fix,
  });
}

/** The error for options given on the command line (`given` asks by the flag's name, `checkpoint-dir`) that `runner` does not take, or null. */
export function optionsOfOtherRunners(runner: string, given: (flagName: string) => boolean): OptionError | null {
  const isGiven = (name: string) => given(flag(name).slice(2));
  if (runner === "dataflow") {
    const wrong = Object.keys(NOT_ON_DATAFLOW).filter(isGiven);
    return wrong.length === 0 ? null : refusal(runner, wrong, NOT_ON_DATAFLOW, "leave them out");
  }
  const [table, fix] = runner === "direct" ? [NOT_ON_DIRECT, "leave them out, or run with --runner=flink, prism or portable"] : [NOT_ON_PORTABLE, "leave them out, or run with --runner=direct"];
  const local = Object.keys(table).filter(isGiven);
  if (local.length > 0) return refusal(runner, local, table, fix);
  const wrong = DATAFLOW_ONLY.filter(isGiven);
  if (wrong.length === 0) return null;
  return new OptionError({
    code: "BL_UNSUPPORTED_RUN_OPTION",
    where: `the ${runner} runner`,
    value: wrong.map(flag),
    rule: `${wrong.map(flag).join(", ")} ${wrong.length === 1 ? "is an option" : "are options"} of the dataflow runner, which this run does not use`,
    fix: "add --runner=dataflow, or leave them out",
  });
}
