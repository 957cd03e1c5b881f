/**
 * The runner contract: every runner (direct, Prism, Flink, any portable job service) runs a pipeline
 * with options that can all be left unset and resolves to a result of one common shape.
 */
import type { Pipeline } from "./pipeline";

/** The names of Beamline's runners. */
export const RUNNER_NAMES = ["direct", "flink", "prism", "portable", "dataflow"] as const;

/** A runner's name: `direct` (the default), `prism`, `flink`, `portable` (any Beam job service) or `dataflow` (Google Cloud Dataflow). */
export type RunnerName = (typeof RUNNER_NAMES)[number];

/** The metrics every runner reports. */
export interface RunMetricsSummary {
  /**
   * Named counters per transform: the user's counters (a distribution as `name.count` and `name.sum`)
   * and, on the direct runner, its own (such as `droppedLateRows`).
   */
  readonly counters: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** What a run resolves to, whatever the runner; runners add their own fields. */
export interface RunResult {
  /**
   * How the run ended: `DONE`, or `STOPPED` by a graceful stop after a final checkpoint; on a service
   * that runs jobs on its own (Dataflow), `SUBMITTED` when the run did not wait for the job, or
   * `WRITTEN` when the job request went to a file instead. A run that fails rejects instead.
   */
  readonly state: "DONE" | "STOPPED" | "SUBMITTED" | "WRITTEN";
  /** The runner that ran it. */
  readonly runner: RunnerName;
  /** Its metrics. */
  readonly metrics: RunMetricsSummary;
}

/** A runner: runs a pipeline to completion; every option has a default. */
export interface Runner<O = object, R extends RunResult = RunResult> {
  /** Its name. */
  readonly name: RunnerName;
  /** Runs `pipeline`; resolves when it is done, rejects when it fails. */
  run(pipeline: Pipeline, options?: O): Promise<R>;
}
