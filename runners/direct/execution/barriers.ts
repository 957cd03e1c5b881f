/**
 * Checkpoint barriers inside one execution. A checkpoint starts at the read sources when triggered
 * (or arrives at an exchange-in through its links); a node passes the barrier once all its producers
 * did, holding back meanwhile what producers past it deliver (alignment, see `held-input.ts`). A node
 * passing it lets its operator prepare (`onCheckpoint`), snapshots the operator's declared state (or
 * asks the operator for its snapshot), forwards the barrier (an exchange-out), then takes the input it
 * held. Once every node passed it, the execution acknowledges with the snapshots; a completed
 * checkpoint lets the operators that took part commit.
 */
import type { BarrierForwarder, CommitsAfterFinish, OperatorSnapshot, SourceOperator } from "../contract/operator";
import type { CheckpointControl, InstanceCheckpoints } from "../contract/checkpoints";
import type { MetricCounts } from "../contract/run-metrics";
import { guard, type Delivery } from "./delivery";
import type { HeldInput } from "./held-input";
import type { ExecNode } from "./node";
import type { StepLock } from "./step-lock";

/** A checkpoint whose barrier is passing through the execution. */
interface PendingBarrier {
  readonly id: number;
  /** Whether it was triggered here (read sources pass it then). */
  triggered: boolean;
  /** The snapshots of the nodes that passed it, by transform name. */
  readonly snapshots: Map<string, OperatorSnapshot>;
}

/** Whether a node's operator keeps committing after it finished (a sink in a checkpointed run). */
export function commitsAfterFinish(n: ExecNode): boolean {
  return (n.op as Partial<CommitsAfterFinish>).commitsAfterFinish === true;
}

/** The barriers of one execution. */
export class Barriers {
  /** The checkpoint whose barrier is passing through this execution, if any. */
  inProgress: PendingBarrier | null = null;

  constructor(
    private readonly nodes: readonly ExecNode[],
    private readonly delivery: Delivery,
    private readonly held: HeldInput,
    private readonly lock: StepLock,
    private readonly checkpoints: InstanceCheckpoints | undefined,
    /** What the execution counted so far. */
    private readonly counts: () => MetricCounts,
  ) {}

  /** Checkpoint `id` reached the execution: the pending barrier for it, or null when a later one is in flight. */
  begin(id: number): PendingBarrier | null {
    if (!this.inProgress || this.inProgress.id < id) this.inProgress = { id, triggered: false, snapshots: new Map() };
    return this.inProgress.id === id ? this.inProgress : null;
  }

  /** Whether a source that passed the barrier in flight must wait for the input held for it. */
  mustWait(source: ExecNode): boolean {
    return this.held.count > 0 && this.inProgress !== null && source.passed >= this.inProgress.id;
  }

  /**
   * Passes the barrier in flight through every node that can pass it, in topological order: a read
   * source once triggered, an exchange-in once the barrier arrived on all its links, any other node
   * once all its producers passed it, a finished node at once. In a step.
   */
  async advance(): Promise<void> {
    const cp = this.inProgress;
    if (!cp) return;
    const id = cp.id;
    for (const n of this.nodes) {
      if (n.passed >= id) continue;
      const src = n.op as SourceOperator;
      const ready = n.finished || (n.inputs.length === 0 ? (src.receivesBarriers ? n.sourceBarrier >= id : cp.triggered) : n.inputs.every((i) => i.producer.passed >= id));
      if (!ready) continue;
      const live = !n.finished || commitsAfterFinish(n);
      if (live && n.op.onCheckpoint) await guard(n, () => n.op.onCheckpoint!(id));
      const declared = n.declared;
      if (declared || n.op.snapshot) {
        const state = !live ? {} : declared ? declared.snapshot() : await guard(n, () => n.op.snapshot!(id));
        cp.snapshots.set(n.name, n.finished ? { ...state, finished: true } : state);
      }
      n.passed = id;
      const fwd = n.op as BarrierForwarder;
      if (!n.finished && typeof fwd.forwardBarrier === "function") fwd.forwardBarrier(id);
      for (let next = this.held.take(n); next; next = this.held.take(n)) {
        const [tag, batch] = next;
        await this.delivery.run(n, () => n.op.processBatch(tag, batch));
      }
    }
    this.held.released();
    if (this.nodes.every((n) => n.passed >= id)) {
      this.inProgress = null;
      this.checkpoints!.acknowledge(id, cp.snapshots, this.counts());
    }
  }

  /** What the checkpoint coordinator may ask of this execution. */
  control(): CheckpointControl {
    return {
      trigger: (id) =>
        this.checkpointStep(() => {
          const cp = this.begin(id);
          if (cp) cp.triggered = true;
        }),
      complete: (id) => this.checkpointStep(() => this.complete(id)),
    };
  }

  /** Checkpoint `id` completed: the operators that passed it and still run (or commit after finishing) commit. */
  private async complete(id: number): Promise<void> {
    for (const n of this.nodes) {
      if ((n.finished && !commitsAfterFinish(n)) || n.passed < id || !n.op.onCommit) continue;
      await guard(n, () => n.op.onCommit!(id));
      if (n.finished) n.outbox.length = 0; // its consumers have finished: what it publishes now goes nowhere
      else await this.delivery.drain(n);
    }
  }

  /** Runs a checkpoint step; rejects if the run failed (a step after the run ended fails only itself). */
  private async checkpointStep(f: () => void | Promise<void>): Promise<void> {
    await this.lock.step(f);
    if (this.lock.failure !== null) throw this.lock.failure;
  }
}
