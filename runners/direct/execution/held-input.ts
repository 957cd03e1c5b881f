/**
 * Input held back while aligning to a checkpoint barrier: a batch from a producer that passed the
 * barrier waits at a consumer that has not, until the consumer passes it too. Sources past the
 * barrier wait while anything is held, so held input stays bounded.
 */
import type { ElementBatch } from "../../../sdk/batch";
import type { ExecNode } from "./node";

/** What every node of an execution holds back, counted. */
export class HeldInput {
  /** Batches held back by aligning nodes. */
  count = 0;
  private readonly waiters: (() => void)[] = [];

  /** Holds `batch` for input `tag` of `target` until it passes the barrier. */
  hold(target: ExecNode, tag: string, batch: ElementBatch): void {
    target.held.push([tag, batch]);
    this.count++;
  }

  /** Takes the next batch `node` held, or undefined. */
  take(node: ExecNode): [string, ElementBatch] | undefined {
    const next = node.held.shift();
    if (next) this.count--;
    return next;
  }

  /** Resolves once nothing is held any more (see {@link released}). */
  whenReleased(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Wakes who waits for held input to go, when none is held. */
  released(): void {
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
}
