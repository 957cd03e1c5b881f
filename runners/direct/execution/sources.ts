/**
 * Running the sources of an execution: each source operator gets a driver whose steps take the lock,
 * wait for room downstream (backpressure) and, past a barrier, for the input held for it; a source
 * that ends marks its node done in a step.
 */
import type { ReadContext } from "../../../sdk/source";
import type { SourceDriver, SourceOperator } from "../contract/operator";
import type { Barriers } from "./barriers";
import type { ProcessingClock } from "./clock";
import { guard, type Delivery } from "./delivery";
import type { HeldInput } from "./held-input";
import type { ExecNode } from "./node";
import type { StepLock } from "./step-lock";
import type { Wakeups } from "./wakeups";

/** What running a source needs of the execution. */
export interface SourceEnv {
  readonly lock: StepLock;
  readonly clock: ProcessingClock;
  readonly delivery: Delivery;
  readonly barriers: Barriers;
  readonly held: HeldInput;
  readonly wakeups: Wakeups;
  /** Backpressure: a promise to wait for, outside the lock, before a source's next step. */
  readonly admit?: (source: string) => Promise<void> | undefined;
}

/** The clock and cancellation, as sources see them. */
export function readContext(lock: StepLock, clock: ProcessingClock): ReadContext {
  return {
    processingTime: clock.now,
    get cancelled() {
      return lock.cancelled;
    },
    sleep: (ms: number) => lock.sleep(ms),
  };
}

/** The driver `node`'s source operator runs with. */
function sourceDriver(env: SourceEnv, node: ExecNode, read: ReadContext): SourceDriver {
  const { lock, clock, delivery, barriers, held, wakeups, admit } = env;
  const driver: SourceDriver = {
    read,
    step: (f) => {
      // Past the barrier of the checkpoint in flight while input is held back for it: what this
      // source emits now would only be held too, so it waits (held input stays bounded).
      if (barriers.mustWait(node) && !lock.cancelled) return lock.orCancelled(held.whenReleased()).then(() => driver.step(f));
      const run = () => lock.step(() => delivery.run(node, f));
      const wait = admit?.(node.name);
      // A cancelled run stops waiting for room (a worker that would make it died).
      return wait ? lock.orCancelled(wait).then(run) : run();
    },
    setWatermark: (wm) => {
      if (wm > node.sourceWatermark) node.sourceWatermark = wm;
    },
    advanceProcessingTime: (to) =>
      lock.step(async () => {
        if (!clock.simulated) throw new Error(`internal: ${node.name} advanced a simulated clock the run does not have`);
        clock.advanceTo(to);
        await wakeups.deliverDue();
      }),
    barrier: (id) =>
      lock.step(() => {
        if (barriers.begin(id)) node.sourceBarrier = id;
      }),
  };
  return driver;
}

/** Runs `node`'s source (unless restored finished) and marks it done; a failure fails the run. */
export async function runSource(env: SourceEnv, node: ExecNode, read: ReadContext): Promise<void> {
  const src = node.op as SourceOperator;
  if (typeof src.run === "function" && !node.finished) {
    try {
      await guard(node, () => src.run(sourceDriver(env, node, read)));
    } catch (e) {
      env.lock.fail(e);
    }
  }
  await env.lock.step(() => {
    node.sourceDone = true;
  });
}
