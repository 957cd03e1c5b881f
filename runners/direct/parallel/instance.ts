/**
 * Runs one worker's instance of a parallel plan: the instance's graph and plan (see `layout.ts`),
 * links for every exchange edge it sends or receives on, the exchange operators next to the
 * pipeline's own, and backpressure that holds a source while an exchange it feeds is full.
 */
import type { Pipeline } from "../../../sdk/pipeline";
import { WRITE_URN, type Sink } from "../../../sdk/sink";
import type { GraphTransform } from "../../../sdk/graph";
import { readsStringsAsBytes } from "../plan/strings-as-bytes";
import { execute } from "../execution/executor";
import * as path from "node:path";
import type { InstanceCheckpoints } from "../contract/checkpoints";
import { CheckpointStore } from "../checkpoint/store";
import type { RunMetrics } from "../contract/run-metrics";
import type { OperatorFactory, OperatorRegistry } from "../contract/operator";
import { plan } from "../plan/planner";
import { InstanceProgress, ProgressBoard } from "../execution/progress";
import { defaultOperators } from "../operators/registry";
import { exchangeInOperator, exchangeOutOperator } from "./exchange";
import { EXCHANGE_IN_URN, EXCHANGE_OUT_URN, instancePlan, type ExchangePayload } from "./layout";
import { Inlet, LocalLink, Outlet, PortInlet, PortOutlet } from "./links";
import type { RunOrder } from "./protocol";
import { exitGuardScope } from "./exit-guard";
import type { InstanceSample } from "../../metrics/sample";

/** What an instance runs with beyond its order. */
export interface InstanceOptions {
  /** Cancels the instance. */
  readonly signal?: AbortSignal;
  /** The instance's checkpoint hooks in a checkpointed run. */
  readonly checkpoints?: InstanceCheckpoints;
  /** Operators by URN (default: {@link defaultOperators}); the exchanges are added to them. */
  readonly operators?: OperatorRegistry;
  /** Receives a sample of the instance's metrics every `order.sampleEveryMs`. */
  readonly report?: (sample: InstanceSample) => void;
}

/** Runs instance `index` of the pipeline as ordered; resolves to its metrics. */
export async function runInstance(pipeline: Pipeline, index: number, order: RunOrder, options: InstanceOptions = {}): Promise<RunMetrics> {
  const { layout: lay } = order;
  const { signal, checkpoints } = options;
  const graph = pipeline.graph();
  const base = options.operators ?? defaultOperators();
  const { graph: g, plan: p } = instancePlan(graph, plan(graph, base), lay, index);

  const outlets = new Map<number, Map<number, Outlet>>();
  const inlets = new Map<number, Map<number, Inlet>>();
  const at = <T>(m: Map<number, Map<number, T>>, edge: number) => {
    let x = m.get(edge);
    if (!x) m.set(edge, (x = new Map()));
    return x;
  };
  // A link holds up to `capacity` batches' worth of rows.
  const rows = order.capacity * order.batchSize;
  for (const e of lay.edges) {
    if (e.senders.includes(index) && e.receivers.includes(index)) {
      const link = new LocalLink(rows);
      at(outlets, e.id).set(index, link);
      at(inlets, e.id).set(index, link);
    }
  }
  for (const [edge, receiver, port] of order.outPorts) at(outlets, edge).set(receiver, new PortOutlet(port, rows));
  for (const [edge, sender, port] of order.inPorts) at(inlets, edge).set(sender, new PortInlet(port));

  const edgeOf = (payload: unknown) => lay.edges[(payload as ExchangePayload).edge];
  const registry = new Map<string, OperatorFactory>(base);
  registry.set(EXCHANGE_OUT_URN, (ctx) => {
    const e = edgeOf(ctx.transform.payload);
    // Rows funnelled into a sink that can encode them apart from its writer are encoded here.
    const encode = e.routing === "single" && graph.transforms[e.consumer].urn === WRITE_URN ? pipeline.fn<Sink>(e.consumer).encode : undefined;
    return exchangeOutOperator(ctx, e, outlets.get(e.id) ?? new Map(), lay.parallelism, index, encode);
  });
  registry.set(EXCHANGE_IN_URN, (ctx) => exchangeInOperator(ctx, inlets.get(edgeOf(ctx.transform.payload).id) ?? new Map()));

  // An exchange reads strings as its edge's consumer does (a copy to another thread reads bytes).
  const stringsAsBytes = (t: GraphTransform) => readsStringsAsBytes(t.urn === EXCHANGE_OUT_URN ? graph.transforms[edgeOf(t.payload).consumer] : t);

  // The exchange outlets each source feeds, for backpressure.
  const feeds = new Map<string, Outlet[]>();
  for (const n of p.nodes) {
    if (Object.keys(n.transform.inputs).length > 0) continue;
    const found: Outlet[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const t = g.transforms[name];
      if (t.urn === EXCHANGE_OUT_URN) found.push(...(outlets.get(edgeOf(t.payload).id)?.values() ?? []));
      for (const pc of Object.values(t.outputs)) for (const c of p.consumers.get(pc) ?? []) visit(c.node);
    };
    visit(n.transform.uniqueName);
    feeds.set(n.transform.uniqueName, found);
  }
  // Sources that feed no exchange (all of them in a run of one instance) are never held.
  const admit = (source: string): Promise<void> | undefined => {
    const fed = feeds.get(source);
    if (fed === undefined || fed.length === 0) return undefined;
    const full = fed.filter((o) => !o.hasRoom);
    return full.length === 0 ? undefined : Promise.all(full.map((o) => o.whenAvailable())).then(() => undefined);
  };

  // Links stay open after success (the last messages may still be in flight); the worker ends with the run.
  const board = order.progress ? new ProgressBoard(order.progress) : null;
  let unfollow = () => {};
  const observe = board ? (probe: () => InstanceProgress) => void (unfollow = board.follow(index, probe)) : undefined;
  let stopSampling = () => {};
  const { report } = options;
  const every = order.sampleEveryMs;
  const sampled =
    report && every
      ? (take: () => InstanceSample) => {
          const timer = setInterval(() => report(take()), every);
          timer.unref();
          stopSampling = () => clearInterval(timer);
        }
      : undefined;
  try {
    const chk = order.checkpoints ? new CheckpointStore(order.checkpoints.dir) : null;
    const checkpointFile = chk ? (id: number, name: string) => path.join(chk.pathOf(id), name) : undefined;
    const execOptions = { batchSize: order.batchSize, stateBackend: order.stateBackend, stateDir: order.stateDir, instance: { index, count: lay.parallelism }, checkpointed: checkpoints !== undefined, checkpointFile };
    // process.exit in user code stops the instance, even when the code (or a dead-letter output) catches what it throws.
    const stop = new AbortController();
    const guard = exitGuardScope(index, (e) => stop.abort(e));
    const cancel = () => stop.abort();
    if (signal?.aborted) cancel();
    signal?.addEventListener("abort", cancel);
    try {
      return await execute(g, p, registry, (name) => pipeline.fn(name), execOptions, { admit, signal: stop.signal, checkpoints, observe, sampled, readsStringsAsBytes: stringsAsBytes, userCode: guard.scope });
    } finally {
      guard.release();
      signal?.removeEventListener("abort", cancel);
    }
  } finally {
    unfollow();
    stopSampling();
  }
}
