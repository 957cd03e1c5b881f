/**
 * One instance's side of checkpointing, in whichever thread runs it: triggers and completions from
 * the coordinator reach the instance's execution once it has restored its state (earlier ones wait),
 * and the snapshots of each checkpoint it passed are written to its file, then acknowledged.
 */
import type { CheckpointControl, InstanceCheckpoints } from "../contract/checkpoints";
import type { OperatorSnapshot } from "../contract/operator";
import type { MetricCounts } from "../contract/run-metrics";
import { writeInstanceFile } from "../checkpoint/coordinator";
import { CheckpointStore } from "../checkpoint/store";

/** What an instance is given for checkpoints: the directory, and its state to restore. */
export interface InstanceCheckpointOrder {
  readonly dir: string;
  /** The instance's share of the checkpoint it restores, by transform name. */
  readonly restored: [string, OperatorSnapshot][];
}

/** An instance's checkpoint hooks, fed by the coordinator's messages. */
export class InstanceCheckpointLink implements InstanceCheckpoints {
  readonly restored: ReadonlyMap<string, OperatorSnapshot>;
  private readonly store: CheckpointStore;
  private control: CheckpointControl | null = null;
  private readonly waiting: ((c: CheckpointControl) => void)[] = [];

  /**
   * @param acknowledged told once the instance's file of a checkpoint is written.
   * @param declined told when it could not be written (the checkpoint fails; the instance goes on).
   */
  constructor(
    order: InstanceCheckpointOrder,
    private readonly index: number,
    private readonly acknowledged: (id: number, bytes: number, counts: MetricCounts) => void,
    private readonly declined: (id: number, cause: unknown) => void,
  ) {
    this.restored = new Map(order.restored);
    this.store = new CheckpointStore(order.dir);
  }

  attach(control: CheckpointControl): void {
    this.control = control;
    for (const w of this.waiting.splice(0)) w(control);
  }

  acknowledge(id: number, snapshots: Map<string, OperatorSnapshot>, counts: MetricCounts): void {
    let bytes: number;
    try {
      bytes = writeInstanceFile(this.store, id, this.index, snapshots);
    } catch (e) {
      return this.declined(id, e);
    }
    this.acknowledged(id, bytes, counts);
  }

  /** Triggers checkpoint `id` at the instance; rejects if the instance failed. */
  trigger(id: number): Promise<void> {
    return this.when((c) => c.trigger(id));
  }

  /** Checkpoint `id` completed: resolves once the instance's operators committed. */
  complete(id: number): Promise<void> {
    return this.when((c) => c.complete(id));
  }

  private when(f: (c: CheckpointControl) => Promise<void>): Promise<void> {
    if (this.control) return f(this.control);
    return new Promise((resolve, reject) => this.waiting.push((c) => f(c).then(resolve, reject)));
  }
}
