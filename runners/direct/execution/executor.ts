/**
 * Executes a plan in one thread. Every source part reads concurrently, but the pipeline advances one
 * step at a time under a lock (`step-lock.ts`): a step delivers a source chunk (or a processing-time
 * wake-up, `wakeups.ts`) through every operator it reaches (`delivery.ts`), then a pass in topological
 * order moves watermarks forward, ends inputs and finishes operators (`watermarks.ts`), and passes the
 * checkpoint barrier in flight where it can (`barriers.ts`). Processing time is the wall clock, or a
 * clock the run's TestStreams share (`clock.ts`, `simulated-clock.ts`).
 */
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { BeamlineError } from "../../../sdk/errors";
import { allContainers, namedCountersContainer, withMetricsContainer } from "../../../sdk/metrics";
import { callsWithin, type CodeScope } from "./user-code";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import type { DirectOptions, OperatorRegistry, OperatorSnapshot, SourceOperator } from "../contract/operator";
import type { InstanceCheckpoints } from "../contract/checkpoints";
import { countsOf, type FnLookup, type RunMetrics } from "../contract/run-metrics";
import type { InstanceSample } from "../../metrics/sample";
import type { Plan } from "../plan/planner";
import { Barriers, commitsAfterFinish } from "./barriers";
import { ProcessingClock } from "./clock";
import { Delivery, guard } from "./delivery";
import { HeldInput } from "./held-input";
import { ExecutionMetrics } from "./metrics";
import { buildNodes, type ExecNode } from "./node";
import { graphLookups, operatorContext } from "./operator-context";
import type { InstanceProgress } from "./progress";
import { SimulatedClock } from "./simulated-clock";
import { readContext, runSource } from "./sources";
import { StepLock } from "./step-lock";
import { Wakeups } from "./wakeups";
import { propagateWatermarks } from "./watermarks";

/** Options of one execution beyond the operators'. */
export interface ExecuteHooks {
  /** Cancels the run: sources stop, nothing commits, the run rejects. */
  readonly signal?: AbortSignal;
  /**
   * Backpressure: asked before a source's step is queued; when it returns a promise, the step waits
   * for it outside the lock, so other sources keep stepping (parallel runs hold sources whose
   * exchanges are full).
   */
  readonly admit?: (source: string) => Promise<void> | undefined;
  /** Checkpoints: state to restore, and where snapshots go. */
  readonly checkpoints?: InstanceCheckpoints;
  /**
   * Receives, before the run starts, a probe of its progress: rows read so far and the slowest
   * watermark. Each call is a pass over the transforms; read it from a timer, not per row.
   */
  readonly observe?: (probe: () => InstanceProgress) => void;
  /**
   * Receives, before the run starts, a function that samples every transform's numbers (a pass over
   * the transforms; call it from a timer).
   */
  readonly sampled?: (take: () => InstanceSample) => void;
  /**
   * Whether a consumer reads string columns only as bytes (see `strings-as-bytes.ts`); by default, the
   * combines `readsStringsAsBytes` names.
   */
  readonly readsStringsAsBytes?: (consumer: GraphTransform) => boolean;
  /** A scope every call of an operator runs in, synchronously (the parallel runner's exit guard). */
  readonly userCode?: CodeScope;
}

/** The state each node takes up from the checkpoint being restored, if any (none for a node that stays finished and commits nothing). */
function restoredStates(nodes: readonly ExecNode[], checkpoints: InstanceCheckpoints | undefined): Map<ExecNode, OperatorSnapshot> {
  const out = new Map<ExecNode, OperatorSnapshot>();
  const restored = checkpoints?.restored;
  if (!restored) return out;
  for (const n of nodes) {
    const state = restored.get(n.name);
    if (state?.finished) {
      // Finished on every instance when the checkpoint was taken: it stays finished.
      n.finished = true;
      n.sourceDone = true;
      n.outWatermark = MAX_TIMESTAMP;
    }
    if (state && (!state.finished || commitsAfterFinish(n))) out.set(n, state);
  }
  return out;
}

/**
 * Opens every operator with the state of the checkpoint being restored: declared state before the
 * operator opens, an operator's own snapshot through its `restore` after every operator opened.
 */
async function openNodes(nodes: readonly ExecNode[], checkpoints: InstanceCheckpoints | undefined): Promise<void> {
  const states = restoredStates(nodes, checkpoints);
  for (const n of nodes) {
    const state = states.get(n);
    if (state && n.declared) await guard(n, () => n.declared!.restore(state));
    if (n.op.open) await guard(n, () => n.op.open!());
  }
  for (const [n, state] of states) if (n.op.restore) await guard(n, () => n.op.restore!(state));
}

/** Closes every operator; the first error fails a run that succeeded so far. */
async function closeNodes(nodes: readonly ExecNode[], failed: boolean): Promise<void> {
  const errors: unknown[] = [];
  for (const n of nodes) {
    if (n.op.close) {
      try {
        await n.op.close(failed);
      } catch (e) {
        errors.push(e);
      }
    }
  }
  if (!failed && errors.length > 0) throw errors[0];
}

/** Runs a plan to completion. */
export async function execute(
  graph: PipelineGraph,
  plan: Plan,
  registry: OperatorRegistry,
  fns: FnLookup,
  options: DirectOptions,
  hooks: ExecuteHooks = {},
): Promise<RunMetrics> {
  const clock = new ProcessingClock();
  const metrics = new ExecutionMetrics();
  const lookups = graphLookups(graph);
  let wakeups: Wakeups | undefined;
  const env = { graph, plan, options, fns, clock, metrics, readsStringsAsBytes: hooks.readsStringsAsBytes, wakeAt: (node: ExecNode, at: number) => wakeups!.request(node, at) };
  const nodes = buildNodes(graph, plan, (transform, node) => {
    const ctx = operatorContext(env, lookups, transform, node);
    // User metrics updated while the operator runs its functions are the transform's, and count as its named counters too.
    const container = allContainers(metrics.userCell(transform.uniqueName), namedCountersContainer(ctx.count));
    const outer = hooks.userCode;
    const op = callsWithin(registry.get(transform.urn)!(ctx), outer ? (f) => outer(() => withMetricsContainer(container, f)) : (f) => withMetricsContainer(container, f));
    node.declared?.seal();
    if (node.declared && op.snapshot) throw new Error(`internal: ${node.name}'s operator both declares state and snapshots itself`);
    return op;
  });
  const clocked = nodes.filter((n) => n.inputs.length === 0 && (n.op as SourceOperator).simulatedClock);
  if (clocked.length > 0) clock.simulated = new SimulatedClock(clocked.length);

  const held = new HeldInput();
  const delivery = new Delivery(graph, plan, nodes, metrics, held);
  const propagate = () => propagateWatermarks(nodes, delivery);
  const lock = new StepLock(async () => {
    await propagate();
    if (barriers.inProgress) {
      await barriers.advance();
      await propagate(); // what passed the barrier may move on (it was held back while aligning)
    }
  });
  const barriers = new Barriers(nodes, delivery, held, lock, hooks.checkpoints, () => countsOf(metrics));
  wakeups = new Wakeups(nodes, clock, lock, delivery, propagate);
  const sourceEnv = { graph, clocked, lock, clock, delivery, barriers, held, wakeups, metrics, admit: hooks.admit };
  const instance = options.instance?.index ?? 0;

  // Aborted with a Beamline error (an instance stopped by its user code), the run fails with it; otherwise it was cancelled.
  const onAbort = () =>
    lock.fail(hooks.signal?.reason instanceof BeamlineError ? hooks.signal.reason : new BeamlineError({ code: "BL_CANCELLED", domain: "user", rule: "the run was cancelled", fix: "run it again to completion" }));
  hooks.signal?.addEventListener("abort", onAbort);
  hooks.observe?.(metrics.probe(graph, nodes));
  hooks.sampled?.(() => metrics.sample(instance, nodes));

  let failed = false;
  try {
    await openNodes(nodes, hooks.checkpoints);
    if (hooks.signal?.aborted) onAbort();
    hooks.checkpoints?.attach(barriers.control());
    const runs = nodes.filter((n) => n.inputs.length === 0).map((n) => runSource(sourceEnv, n, readContext(lock, clock, (partition, backlog) => metrics.reportBacklog(n.name, partition, backlog))));
    await lock.step(() => {});
    await Promise.all(runs);
    await lock.idle();
    if (lock.failure !== null) throw lock.failure;
    const stuck = nodes.filter((n) => !n.finished).map((n) => n.name);
    if (stuck.length > 0) throw new Error(`internal: transforms never finished: ${stuck.join(", ")}`);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    wakeups.stop();
    hooks.signal?.removeEventListener("abort", onAbort);
    await closeNodes(nodes, failed);
  }
  return metrics.result(nodes, instance);
}
