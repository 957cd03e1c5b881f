/**
 * Runs a pipeline on N instances: instance 0 in the calling thread (it already has the pipeline),
 * instances 1 to N-1 on worker threads (each rebuilds and checks the pipeline). A run of one instance
 * is the same run with no worker threads, so it needs no spec to rebuild the pipeline elsewhere. Wires a MessageChannel
 * per exchange edge and pair of instances, orders every instance to run, and merges their metrics.
 * The first failing instance fails the run; the workers are stopped. A checkpointed run restores each
 * instance's share of a checkpoint and triggers aligned checkpoints from this thread.
 */
import { MessageChannel, MessagePort } from "node:worker_threads";
import { BeamlineError } from "../../../sdk/errors";
import type { PipelineGraph } from "../../../sdk/graph";
import type { Pipeline } from "../../../sdk/pipeline";
import { READ_URN } from "../../../sdk/source";
import type { BoundedSource } from "../../../sdk/source";
import type { CheckpointCoordinator, LoadedCheckpoint } from "../checkpoint/coordinator";
import { PeriodicCheckpoints } from "../checkpoint/periodic";
import type { CheckpointFailurePolicy } from "../checkpoint/failures";
import type { OperatorRegistry, StateBackendKind } from "../contract/operator";
import { countsOf, type MetricCounts, type RunMetrics } from "../contract/run-metrics";
import { InstanceCheckpointLink } from "./instance-checkpoints";
import { restoredShare } from "./restored-state";
import type { Plan } from "../plan/planner";
import type { PipelineSpec } from "./bootstrap";
import { layout, Layout } from "./layout";
import type { LiveMetrics } from "../../metrics/live";
import { counterOwner, isExchange, userSample } from "./samples";
import { spawnWorkers, startFailure, PooledWorker } from "./pool";
import type { ProgressBoard } from "../execution/progress";
import { runInstance } from "./instance";
import { CheckpointOrder, instanceMetrics, RunOrder, WorkerMessage } from "./protocol";
import { errorFromRemote } from "./remote-error";
import type { InstanceSample } from "../../metrics/sample";

/**
 * A worker thread that died (an uncaught error, or it exited; its environment, not a rule the pipeline
 * broke, as far as the runner can tell): retriable, the restart strategy applies.
 */
function workerDied(index: number, cause: unknown): BeamlineError {
  return new BeamlineError({
    code: "BL_WORKER_DIED",
    domain: "external",
    retriable: true,
    value: cause instanceof Error ? cause.message : cause,
    rule: `worker thread ${index} died before its instance of the pipeline finished`,
    fix: "restart after such failures with --restart-strategy=fixed-delay; if it keeps dying, run with --parallelism=1 to see the failure in one thread",
    cause,
  });
}

/** Resolves with `"stop"` once `signal` aborts (at once when it has). */
function stopRequested(signal: AbortSignal): Promise<"stop"> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve("stop");
    else signal.addEventListener("abort", () => resolve("stop"), { once: true });
  });
}

/** Options of a parallel run. */
export interface ParallelOptions {
  readonly parallelism: number;
  readonly batchSize: number;
  /** Where stateful operators keep their state (see `DirectOptions.stateBackend`). Default memory. */
  readonly stateBackend?: StateBackendKind;
  /** With the disk backend: under which directory (see `DirectOptions.stateDir`). */
  readonly stateDir?: string;
  /** Batches of `batchSize` rows in flight per link (counted in rows). Default 4. */
  readonly capacity?: number;
  /** Aligned checkpoints: taken every `intervalMs` through `coordinator`, and the checkpoint to restore first. */
  readonly checkpoints?: { readonly coordinator: CheckpointCoordinator; readonly intervalMs: number; readonly restore: LoadedCheckpoint | null; readonly failures?: CheckpointFailurePolicy };
  /** Where every instance publishes its progress (a board of `parallelism` instances). */
  readonly progress?: ProgressBoard;
  /** Cancels the run: instance 0 rejects with BL_CANCELLED, the workers are stopped and nothing more commits. */
  readonly signal?: AbortSignal;
  /** Stops a checkpointed run after a final checkpoint completes and commits (see `DirectRunnerOptions.stop`). */
  readonly stop?: AbortSignal;
  /** Called with the final checkpoint's id when the run stopped on `stop`. */
  readonly onStopped?: (checkpointId: number | null) => void;
  /** Operators by URN of instance 0 (workers use the default ones); default: the default ones. */
  readonly operators?: OperatorRegistry;
  /** Where every instance's metrics samples go: the last one of each, and one every `sampleEveryMs` when set. */
  readonly live?: LiveMetrics;
  /** How often instances report a sample of their metrics to `live` (ms); default: only at the end. */
  readonly sampleEveryMs?: number;
}

/** Read nodes whose sources split into fewer parts than there are workers. */
async function underSplitReads(pipeline: Pipeline, plan: Plan, parallelism: number): Promise<Set<string>> {
  const out = new Set<string>();
  if (parallelism === 1) return out; // one instance reads every part
  for (const n of plan.nodes) {
    if (n.transform.urn !== READ_URN) continue;
    const parts = await pipeline.fn<BoundedSource>(n.transform.uniqueName).split(parallelism);
    if (parts.length < parallelism) out.add(n.transform.uniqueName);
  }
  return out;
}

/** Lays out a plan for a parallel run. */
export async function parallelLayout(pipeline: Pipeline, graph: PipelineGraph, plan: Plan, parallelism: number): Promise<Layout> {
  return layout(graph, plan, parallelism, await underSplitReads(pipeline, plan, parallelism));
}

/** Merges an instance's metrics into the run's, and its last sample into `live`; an exchange's counters count for the transform it feeds. */
function merge(into: RunMetrics, m: MetricCounts & { readonly watermarks?: [string, number][]; readonly sample?: InstanceSample }, lay: Layout, live?: LiveMetrics): void {
  const internal = isExchange;
  const owner = (name: string) => counterOwner(name, lay);
  if (m.sample) live?.record(userSample(m.sample, lay));
  for (const [name, n] of m.rowsOut) if (!internal(name)) into.rowsOut.set(name, (into.rowsOut.get(name) ?? 0) + n);
  for (const [name, cs] of m.counters) {
    let c = into.counters.get(owner(name));
    if (!c) into.counters.set(owner(name), (c = new Map()));
    for (const [k, n] of cs) c.set(k, (c.get(k) ?? 0) + n);
  }
  for (const [name, wm] of m.watermarks ?? []) {
    if (internal(name)) continue;
    const prev = into.watermarks.get(name);
    into.watermarks.set(name, prev === undefined ? wm : Math.min(prev, wm));
  }
}

/** An instance's counts by the pipeline's transforms (an exchange's count for the transform it feeds), as a checkpoint keeps them. */
function byTransform(counts: MetricCounts, lay: Layout): MetricCounts {
  const into: RunMetrics = { rowsOut: new Map(), counters: new Map(), watermarks: new Map() };
  merge(into, counts, lay);
  return countsOf(into);
}

/**
 * Runs the pipeline on `parallelism` instances: one in this thread, the others on worker threads
 * rebuilt from `spec` (which a run of one instance does not need).
 */
export async function runParallel(pipeline: Pipeline, spec: PipelineSpec | undefined, graph: PipelineGraph, plan: Plan, options: ParallelOptions): Promise<RunMetrics> {
  if (!spec && options.parallelism > 1) throw new Error(`internal: a run on ${options.parallelism} instances without a spec for its worker threads`);
  const lay = await parallelLayout(pipeline, graph, plan, options.parallelism);
  // Instance 0 starts at once; each worker runs its instance as soon as it has loaded the pipeline.
  const workers = spec ? spawnWorkers(spec, options.parallelism, 1) : [];
  const outPorts: [number, number, MessagePort][][] = Array.from({ length: options.parallelism }, () => []);
  const inPorts: [number, number, MessagePort][][] = Array.from({ length: options.parallelism }, () => []);
  let stopCheckpoints = () => {};
  let stopListening = () => {};
  try {
    for (const e of lay.edges) {
      for (const s of e.senders) {
        for (const r of e.receivers) {
          if (s === r) continue;
          const { port1, port2 } = new MessageChannel();
          outPorts[s].push([e.id, r, port1]);
          inPorts[r].push([e.id, s, port2]);
        }
      }
    }
    const metrics: RunMetrics = { rowsOut: new Map(), counters: new Map(), watermarks: new Map() };
    const cp = options.checkpoints;
    // A run that restores a checkpoint counts on from what the run had counted when it was taken.
    const base = cp?.restore?.counts ?? null;
    if (base) merge(metrics, base, lay);
    if (cp) cp.coordinator.base = base;
    const order = (index: number): RunOrder => ({
      type: "run",
      layout: lay,
      batchSize: options.batchSize,
      ...(options.stateBackend ? { stateBackend: options.stateBackend } : {}),
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      capacity: options.capacity ?? 4,
      outPorts: outPorts[index],
      inPorts: inPorts[index],
      ...(cp ? { checkpoints: { dir: cp.coordinator.store.dir, restored: cp.restore ? restoredShare(cp.restore, lay, index) : [] } } : {}),
      ...(options.progress ? { progress: options.progress.buffer } : {}),
      ...(options.sampleEveryMs ? { sampleEveryMs: options.sampleEveryMs } : {}),
    });
    const live = options.live;
    const report = live ? (sample: InstanceSample) => live.record(userSample(sample, lay)) : undefined;
    const post = (w: PooledWorker, m: CheckpointOrder) => w.thread.postMessage(m);
    const localLink = cp ? new InstanceCheckpointLink(order(0).checkpoints!, 0, (id, bytes, counts) => periodic?.acknowledged(id, 0, bytes, byTransform(counts, lay)), (id, e) => periodic?.declined(id, e)) : undefined;
    const periodic = cp
      ? new PeriodicCheckpoints(
          cp.coordinator,
          cp.intervalMs,
          [localLink!, ...workers.map((w) => ({ trigger: (id: number) => post(w, { type: "checkpoint", id }), complete: (id: number) => post(w, { type: "complete", id }) }))],
          cp.failures,
        )
      : null;
    stopCheckpoints = () => periodic?.stop();
    const cancel = new AbortController();
    const onAbort = () => cancel.abort();
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort);
    stopListening = () => options.signal?.removeEventListener("abort", onAbort);
    const local = runInstance(pipeline, 0, order(0), { signal: cancel.signal, checkpoints: localLink, operators: options.operators, report }).then((m) => merge(metrics, instanceMetrics(m), lay, live));
    const all = Promise.all([
      local,
      ...workers.map(
        (w: PooledWorker) =>
          new Promise<void>((resolve, reject) => {
            let ready = false;
            w.thread.on("message", (m: WorkerMessage) => {
              if (m.type === "ready") ready = true;
              else if (m.type === "metrics") report?.(m.sample);
              else if (m.type === "done") {
                merge(metrics, m.metrics, lay, live);
                resolve();
              } else if (m.type === "ack") periodic?.acknowledged(m.id, w.index, m.bytes, byTransform(m.counts, lay));
              else if (m.type === "declined") periodic?.declined(m.id, errorFromRemote(m.error));
              else if (m.type === "failed") fail(errorFromRemote(m.error));
            });
            // After its instance is done a worker still takes part in checkpoints: a failure then fails the final one.
            const fail = (e: unknown) => {
              periodic?.fail(e);
              reject(e);
            };
            // A worker that stops before it is ready failed to start (not retriable); after, it died.
            w.thread.on("error", (e) => fail(ready ? workerDied(w.index, e) : startFailure(w.index, { error: e })));
            w.thread.on("exit", (code) => fail(ready ? workerDied(w.index, `exit code ${code}`) : startFailure(w.index, { exitCode: code })));
            w.thread.postMessage(order(w.index), [...outPorts[w.index].map((x) => x[2]), ...inPorts[w.index].map((x) => x[2])]);
          }),
      ),
    ]);
    periodic?.start();
    try {
      // Checkpoints that keep failing fail the run at once (an unbounded one would never finish).
      all.catch(() => {}); // what the workers report once stopped, after the race was lost
      const done = all.then(() => "done" as const);
      const stopped = periodic && options.stop ? stopRequested(options.stop) : null;
      const outcome = await Promise.race([done, ...(periodic ? [periodic.failed] : []), ...(stopped ? [stopped] : [])]);
      if (outcome === "stop") {
        // Stop with a final checkpoint: taken and committed while the run goes on, then the run is
        // cancelled (its sinks throw away what came after the barrier) and resolves as stopped.
        await Promise.race([periodic!.finish(), periodic!.failed]);
        cancel.abort();
        await local.catch(() => undefined);
        options.onStopped?.(cp!.coordinator.lastCompleted);
        return metrics;
      }
      await periodic?.finish();
    } catch (e) {
      cancel.abort();
      await local.catch(() => undefined);
      throw e;
    }
    return metrics;
  } finally {
    stopCheckpoints();
    stopListening();
    await Promise.all(workers.map((w) => w.thread.terminate()));
    for (const [, , port] of [...outPorts[0], ...inPorts[0]]) port.close();
  }
}
