/**
 * Running the sources of an execution: each source operator gets a driver whose steps take the lock,
 * wait for room downstream (backpressure), past a barrier for the input held for it, and, for a
 * TestStream, for its turn on the shared simulated clock; a source that ends marks its node done in
 * a step.
 */
import { MIN_TIMESTAMP } from "../../../sdk/time";
import type { PipelineGraph } from "../../../sdk/graph";
import type { ReadContext } from "../../../sdk/source";
import type { SourceDriver, SourceOperator } from "../contract/operator";
import type { Barriers } from "./barriers";
import type { ProcessingClock } from "./clock";
import { guard, type Delivery } from "./delivery";
import type { HeldInput } from "./held-input";
import { FIELD } from "../../metrics/sample";
import type { ExecutionMetrics } from "./metrics";
import type { ExecNode } from "./node";
import type { SimulatedClock } from "./simulated-clock";
import type { StepLock } from "./step-lock";
import type { Wakeups } from "./wakeups";

/** What running a source needs of the execution. */
export interface SourceEnv {
  readonly graph: PipelineGraph;
  readonly lock: StepLock;
  readonly clock: ProcessingClock;
  readonly delivery: Delivery;
  readonly barriers: Barriers;
  readonly held: HeldInput;
  readonly wakeups: Wakeups;
  /** Where the time a source waits for room downstream, or for a checkpoint to align, is counted. */
  readonly metrics: ExecutionMetrics;
  /** The sources that drive the simulated clock, in pipeline order (a source's index is its stream). */
  readonly clocked: readonly ExecNode[];
  /** Backpressure: a promise to wait for, outside the lock, before a source's next step. */
  readonly admit?: (source: string) => Promise<void> | undefined;
}

/** The clock and cancellation, as sources see them, and where a source reports its backlog. */
export function readContext(lock: StepLock, clock: ProcessingClock, reportBacklog: ReadContext["reportBacklog"]): ReadContext {
  return {
    reportBacklog,
    processingTime: clock.now,
    get cancelled() {
      return lock.cancelled;
    },
    sleep: (ms: number) => lock.sleep(ms),
  };
}

/** Moves the shared simulated clock once no stream has events at its time, firing what became due. In a step. */
async function moveClock(clock: SimulatedClock, wakeups: Wakeups): Promise<void> {
  while (clock.advance()) await wakeups.deliverDue();
  clock.wake();
}

/** The driver `node`'s source operator runs with; `stream` is its index among the clocked sources, or -1. */
function sourceDriver(env: SourceEnv, node: ExecNode, stream: number, read: ReadContext): SourceDriver {
  const { lock, clock, delivery, barriers, held, wakeups, admit } = env;
  const outputs = env.graph.transforms[node.name].outputs;
  const stepNow = (f: () => void | Promise<void>): Promise<void> => {
    // Past the barrier of the checkpoint in flight while input is held back for it: what this
    // source emits now would only be held too, so it waits (held input stays bounded).
    if (barriers.mustWait(node) && !lock.cancelled) {
      const waiting = performance.now();
      return lock.orCancelled(held.whenReleased()).then(() => {
        env.metrics.add(node, FIELD.alignmentMs, performance.now() - waiting);
        return driver.step(f);
      });
    }
    const run = () => lock.step(() => delivery.run(node, f));
    const wait = admit?.(node.name);
    if (!wait) return run();
    const started = performance.now();
    // A cancelled run stops waiting for room (a worker that would make it died).
    return lock.orCancelled(wait).then(() => {
      env.metrics.add(node, FIELD.backpressureMs, performance.now() - started);
      return run();
    });
  };
  const driver: SourceDriver = {
    read,
    step: (f) => {
      // A TestStream steps only in its turn on the shared clock.
      if (stream >= 0 && !lock.cancelled) return lock.orCancelled(clock.simulated!.turn(stream)).then(() => stepNow(f));
      return stepNow(f);
    },
    setWatermark: (wm, marks) => {
      if (wm > node.sourceWatermark) node.sourceWatermark = wm;
      for (const [tag, mark] of Object.entries(marks ?? {})) {
        const pc = outputs[tag];
        if (pc !== undefined && mark > (node.outputWatermarks.get(pc) ?? MIN_TIMESTAMP)) node.outputWatermarks.set(pc, mark);
      }
    },
    setIdle: (idle) => {
      node.sourceIdle = idle;
    },
    advanceProcessingTime: (to) =>
      lock.step(async () => {
        if (stream < 0) throw new Error(`internal: ${node.name} advanced a simulated clock it does not drive`);
        clock.simulated!.waitFor(stream, to);
        await moveClock(clock.simulated!, wakeups);
      }),
    barrier: (id, alignedMs) => {
      if (alignedMs) env.metrics.add(node, FIELD.alignmentMs, alignedMs);
      return lock.step(() => {
        if (barriers.begin(id)) node.sourceBarrier = id;
      });
    },
  };
  return driver;
}

/** Runs `node`'s source (unless restored finished) and marks it done; a failure fails the run. */
export async function runSource(env: SourceEnv, node: ExecNode, read: ReadContext): Promise<void> {
  const src = node.op as SourceOperator;
  const stream = env.clocked.indexOf(node);
  if (typeof src.run === "function" && !node.finished) {
    try {
      await guard(node, () => src.run(sourceDriver(env, node, stream, read)));
    } catch (e) {
      env.lock.fail(e);
    }
  }
  await env.lock.step(async () => {
    node.sourceDone = true;
    if (stream >= 0) {
      env.clock.simulated!.end(stream);
      await moveClock(env.clock.simulated!, env.wakeups);
    }
  });
}
