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
 *
 * A checkpoint that cannot be written — its folder, an instance's file or its manifest — is abandoned
 * and the next one is triggered on time (the final one is retried); see `failures.ts`.
 */
import type { CheckpointCoordinator } from "./coordinator";
import type { MetricCounts } from "../contract/run-metrics";
import { faultPoint } from "../faults/fault-points";
import { CheckpointFailurePolicy, checkpointsFailed } from "./failures";

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
  private consecutiveFailures = 0;
  /** Each checkpoint's outcome: true once completed and committed, false when abandoned. */
  private readonly outcomes = new Map<number, { promise: Promise<boolean>; resolve: (ok: boolean) => void; reject: (e: unknown) => void }>();
  private rejectRun: (e: unknown) => void = () => {};
  /** Rejects when the checkpoints fail the run: more failed in a row than tolerated, or an instance failed taking part. */
  readonly failed: Promise<never>;

  constructor(
    private readonly coordinator: CheckpointCoordinator,
    private readonly intervalMs: number,
    private readonly instances: readonly CheckpointedInstance[],
    private readonly failures: CheckpointFailurePolicy = { tolerable: 0 },
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectRun = reject));
    this.failed.catch(() => {}); // observed by whoever races it; never unhandled
  }

  /** Schedules the first checkpoint. */
  start(): void {
    this.schedule(Date.now());
  }

  /** Stops triggering; a checkpoint in flight is abandoned (it never completes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.settleAll(new Error("internal: checkpoints stopped"));
  }

  /** Every instance finished: waits for the checkpoint in flight, then takes and completes a final one (retried while tolerated). */
  async finish(): Promise<void> {
    this.finishing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending) await this.completion(this.pending.id);
    while (!(await this.completion(this.trigger()))) await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
  }

  /** The run failed (an instance failed while taking part in a checkpoint, or too many checkpoints did). */
  fail(e: unknown): void {
    this.failure ??= { error: e };
    this.rejectRun(e);
    this.settleAll(e);
  }

  /** Instance `index` wrote its file of checkpoint `id`, `bytes` long, having counted `counts` up to the barrier. */
  acknowledged(id: number, index: number, bytes: number, counts: MetricCounts): void {
    const p = this.pending;
    if (this.stopped || !p || p.id !== id) return;
    this.coordinator.instanceWritten(id, index, bytes, counts);
    p.acks.add(index);
    if (p.acks.size < this.instances.length) return;
    faultPoint("checkpoint-files");
    try {
      this.coordinator.complete(id);
    } catch (e) {
      return this.declined(id, e);
    }
    faultPoint("checkpoint-complete");
    this.pending = null;
    this.consecutiveFailures = 0;
    const committed = Promise.all(this.instances.map((inst) => inst.complete(id)));
    committed.then(
      () => this.settle(id, true),
      (e: unknown) => this.fail(e),
    );
    if (!this.finishing) this.schedule(p.at);
  }

  /** Checkpoint `id` could not be written (an instance's file, its folder or its manifest): it is abandoned. */
  declined(id: number, cause: unknown): void {
    const p = this.pending;
    if (this.stopped || this.failure || !p || p.id !== id) return;
    this.pending = null;
    this.coordinator.drop(id);
    this.consecutiveFailures++;
    this.failures.onFailure?.(id, cause, this.consecutiveFailures);
    if (this.consecutiveFailures > this.failures.tolerable) return this.fail(checkpointsFailed(this.coordinator.store.dir, this.consecutiveFailures, cause));
    this.settle(id, false);
    if (!this.finishing) this.schedule(p.at);
  }

  private completion(id: number): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure.error);
    return this.outcomes.get(id)?.promise ?? Promise.resolve(false);
  }

  private settle(id: number, ok: boolean): void {
    this.outcomes.get(id)?.resolve(ok);
    this.outcomes.delete(id);
  }

  private settleAll(e: unknown): void {
    for (const o of this.outcomes.values()) o.reject(e);
    this.outcomes.clear();
  }

  private schedule(since: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.trigger(), Math.max(0, since + this.intervalMs - Date.now()));
  }

  private trigger(): number {
    this.timer = null;
    const id = this.coordinator.issue();
    let outcome!: { resolve: (ok: boolean) => void; reject: (e: unknown) => void };
    const promise = new Promise<boolean>((resolve, reject) => (outcome = { resolve, reject }));
    promise.catch(() => {}); // only the final checkpoint's outcome is awaited
    this.outcomes.set(id, { promise, ...outcome });
    this.pending = { id, at: Date.now(), acks: new Set() };
    try {
      this.coordinator.begin(id);
    } catch (e) {
      this.declined(id, e);
      return id;
    }
    for (const inst of this.instances) Promise.resolve(inst.trigger(id)).catch((e: unknown) => this.fail(e));
    faultPoint("barrier");
    return id;
  }
}
