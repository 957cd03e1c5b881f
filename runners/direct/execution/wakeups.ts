/**
 * Processing-time wake-ups: operators ask to be woken once the clock reaches a time; due wake-ups are
 * delivered earliest first, each in the step that finds it due. On the wall clock a timer steps the
 * run when the earliest comes due; on a simulated clock, the TestStream's advances find them.
 */
import type { ProcessingClock } from "./clock";
import type { Delivery } from "./delivery";
import type { ExecNode } from "./node";
import type { StepLock } from "./step-lock";

/** The wake-ups of every node of an execution. */
export class Wakeups {
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  /** @param propagate moves watermarks after each wake-up (see `watermarks.ts`). */
  constructor(
    private readonly nodes: readonly ExecNode[],
    private readonly clock: ProcessingClock,
    private readonly lock: StepLock,
    private readonly delivery: Delivery,
    private readonly propagate: () => Promise<void>,
  ) {}

  /** Asks for `node`'s `onProcessingTime` at `at` (requests of the same time merge). */
  request(node: ExecNode, at: number): void {
    const w = node.wakeups;
    let i = w.length;
    while (i > 0 && w[i - 1] > at) i--;
    if (w[i - 1] !== at) w.splice(i, 0, at);
    this.schedule();
  }

  /** Delivers every wake-up due at the current time, earliest first. In a step. */
  async deliverDue(): Promise<void> {
    const t = this.clock.now();
    for (let guardCount = 0; ; guardCount++) {
      let best: ExecNode | null = null;
      for (const n of this.nodes) if (!n.finished && n.wakeups.length > 0 && n.wakeups[0] <= t && (!best || n.wakeups[0] < best.wakeups[0])) best = n;
      if (!best) return;
      if (guardCount > 1_000_000) throw new Error(`internal: processing-time wakeups of ${best.name} never stop at ${t}`);
      best.wakeups.shift();
      const target = best;
      if (target.op.onProcessingTime) await this.delivery.run(target, () => target.op.onProcessingTime!(t));
      await this.propagate();
    }
  }

  /** On the wall clock: sets the timer for the earliest wake-up, if earlier than the one set. */
  schedule(): void {
    if (this.clock.simulated) return;
    let earliest = Infinity;
    for (const n of this.nodes) if (!n.finished && n.wakeups.length > 0 && n.wakeups[0] < earliest) earliest = n.wakeups[0];
    if (earliest >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = earliest;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.lock.step(() => this.deliverDue()).then(() => this.schedule());
    }, Math.max(0, earliest - Date.now()));
  }

  /** Clears the timer (the run ended). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
