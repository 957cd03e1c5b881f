/**
 * The lock of an execution: steps run one after another, each followed by the execution's pass
 * (watermarks, barriers); the first failure fails the run, cancels it and skips later steps.
 */

/** Runs steps one at a time, and knows whether the run failed or was cancelled. */
export class StepLock {
  /** The first failure of the run, or null. */
  failure: unknown = null;
  /** Whether the run was cancelled (by a failure or from outside): sources stop, steps are skipped. */
  cancelled = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly cancelWaiters = new Set<() => void>();
  private yieldedAt = Date.now();

  /** @param afterStep runs after every step, inside it (moves watermarks, passes barriers). */
  constructor(private readonly afterStep: () => Promise<void>) {}

  /** Queues `f` as a step; resolves once it ran (or was skipped), never rejects (a failure fails the run). */
  step(f: () => void | Promise<void>): Promise<void> {
    const p = this.chain.then(async () => {
      if (this.failure !== null || this.cancelled) return;
      // A busy run steps on microtasks alone: let timers and other threads' messages (checkpoint
      // triggers, credits) in at least every few milliseconds.
      if (Date.now() - this.yieldedAt > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        this.yieldedAt = Date.now();
      }
      try {
        await f();
        await this.afterStep();
      } catch (e) {
        this.fail(e);
      }
    });
    this.chain = p;
    return p;
  }

  /** Resolves once every step queued so far ran. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Fails the run with `e` (the first failure wins) and cancels it. */
  fail(e: unknown): void {
    this.failure ??= e;
    this.cancel();
  }

  /** Cancels the run: whoever waits through {@link orCancelled} or {@link sleep} stops waiting. */
  cancel(): void {
    this.cancelled = true;
    for (const w of this.cancelWaiters) w();
    this.cancelWaiters.clear();
  }

  /** Resolves once `p` does, or at once when the run is cancelled. */
  orCancelled(p: Promise<void>): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    this.cancelWaiters.add(stop);
    return Promise.race([p, stopped]).then(() => {
      this.cancelWaiters.delete(stop);
    });
  }

  /** Waits `ms`; resolves to false when the run was cancelled meanwhile. */
  sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.cancelled) return resolve(false);
      const done = () => {
        clearTimeout(t);
        this.cancelWaiters.delete(done);
        resolve(!this.cancelled);
      };
      const t = setTimeout(done, ms);
      this.cancelWaiters.add(done);
    });
  }
}
