/**
 * Periodic aligned checkpoints of a run: every interval the coordinator begins a checkpoint and
 * triggers it at every instance; each instance writes its file once the barrier passed all its
 * operators and acknowledges; when all have, the manifest is written (last) and every instance hears
 * that the checkpoint completed (its sinks commit). One checkpoint is in flight at a time; the next is
 * triggered an interval after the previous one began, once it completed.
 *
 * Instances whose sources ended keep taking part: a finished operator passes every barrier at once
 * (see `InstanceCheckpoints`), so bounded inputs never hold checkpoints up. When every instance has
 * finished, one final checkpoint commits what the sinks staged last.
 */
import type { CheckpointCoordinator } from "./coordinator";
import { faultPoint } from "../faults/fault-points";

/** One instance of the run, as the checkpoint loop reaches it. */
export interface CheckpointedInstance {
  /** Triggers checkpoint `id` at the instance (a promise, when it can tell that the instance failed). */
  trigger(id: number): void | Promise<void>;
  /** Tells the instance that checkpoint `id` completed (a promise: resolves once it committed). */
  complete(id: number): void | Promise<void>;
}

/** Triggers, gathers and completes the checkpoints of one run attempt. */
export class PeriodicCheckpoints {
  private timer: NodeJS.Timeout | null = null;
  private pending: { id: number; at: number; acks: Set<number> } | null = null;
  private stopped = false;
  private finishing = false;
  private failure: { error: unknown } | null = null;
  private readonly waiters = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();

  constructor(
    private readonly coordinator: CheckpointCoordinator,
    private readonly intervalMs: number,
    private readonly instances: readonly CheckpointedInstance[],
  ) {}

  /** Schedules the first checkpoint. */
  start(): void {
    this.schedule(Date.now());
  }

  /** Stops triggering; a checkpoint in flight is abandoned (it never completes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters.values()) w.reject(new Error("internal: checkpoints stopped"));
    this.waiters.clear();
  }

  /** Every instance finished: waits for the checkpoint in flight, then takes and completes a final one. */
  async finish(): Promise<void> {
    this.finishing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending) await this.completion(this.pending.id);
    await this.completion(this.trigger());
  }

  /** An instance failed while taking part in a checkpoint: the final checkpoint fails with it. */
  fail(e: unknown): void {
    this.failure ??= { error: e };
    for (const w of this.waiters.values()) w.reject(e);
    this.waiters.clear();
  }

  /** Instance `index` wrote its file of checkpoint `id`, `bytes` long. */
  acknowledged(id: number, index: number, bytes: number): void {
    const p = this.pending;
    if (this.stopped || !p || p.id !== id) return;
    this.coordinator.instanceWritten(id, index, bytes);
    p.acks.add(index);
    if (p.acks.size < this.instances.length) return;
    faultPoint("checkpoint-files");
    this.coordinator.complete(id);
    faultPoint("checkpoint-complete");
    this.pending = null;
    const committed = Promise.all(this.instances.map((inst) => inst.complete(id)));
    committed.then(
      () => this.waiters.get(id)?.resolve(),
      (e: unknown) => this.fail(e),
    );
    if (!this.finishing) this.schedule(p.at);
  }

  private completion(id: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
  }

  private schedule(since: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.trigger(), Math.max(0, since + this.intervalMs - Date.now()));
  }

  private trigger(): number {
    this.timer = null;
    const id = this.coordinator.begin();
    this.pending = { id, at: Date.now(), acks: new Set() };
    for (const inst of this.instances) Promise.resolve(inst.trigger(id)).catch((e: unknown) => this.fail(e));
    return id;
  }
}
