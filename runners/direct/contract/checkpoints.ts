/**
 * How an execution takes part in checkpoints: the coordinator triggers and completes them, the
 * execution acknowledges with its operators' snapshots.
 */
import type { OperatorSnapshot } from "./operator";
import type { MetricCounts } from "./run-metrics";

/**
 * The checkpoints of one execution (one instance of the plan). A checkpoint is triggered from outside
 * (`CheckpointControl.trigger`): the read sources snapshot their positions and the barrier flows with
 * the data; an operator snapshots once the barrier came through all its inputs (holding what inputs
 * that passed it already deliver until then). Once every operator passed it, the execution
 * acknowledges with its snapshots; the checkpoint's completion comes back through `complete`.
 * A finished operator passes every barrier at once, with `{ finished: true }` as its snapshot.
 */
export interface InstanceCheckpoints {
  /** State to take up before any data, by transform name (already resharded for this instance). */
  readonly restored?: ReadonlyMap<string, OperatorSnapshot>;
  /** Receives the execution's controls once its state is restored (triggers wait until then). */
  attach(control: CheckpointControl): void;
  /**
   * Every operator passed checkpoint `id`: persist its snapshots (by transform name), with what the
   * execution counted up to the barrier (a resumed run's counts start from them). Runs in the lock.
   */
  acknowledge(id: number, snapshots: Map<string, OperatorSnapshot>, counts: MetricCounts): void;
}

/** What the checkpoint coordinator can ask of an execution. */
export interface CheckpointControl {
  /** Starts checkpoint `id` at the execution's read sources; resolves once that step ran, rejects if the run failed. */
  trigger(id: number): Promise<void>;
  /**
   * Checkpoint `id` is complete: operators that took part in it and are still running (or commit
   * after finishing) commit; resolves once they did, rejects if the run failed.
   */
  complete(id: number): Promise<void>;
}
