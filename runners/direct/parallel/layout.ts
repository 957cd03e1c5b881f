/**
 * How a plan runs on N workers. Every worker runs an instance of the plan; a node is placed on all
 * workers, or on worker 0 alone (after a `single` exchange, and sinks, whose commit is one act).
 * Where data must move between instances — a hash exchange before grouping, a broadcast of side
 * inputs, a funnel into a single-placed node, a rebalance after a source with fewer parts than
 * workers — the edge becomes an exchange: an exchange-out node after the producer on each sending
 * worker, an exchange-in source before the consumer on each receiving worker.
 */
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import type { GraphPCollection, GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { GROUP_BY_KEY_URN } from "../../../sdk/kv";
import { payloadOf } from "../../../sdk/payload";
import { WRITE_URN } from "../../../sdk/sink";
import { isKeyed, type Plan, type PlannedNode } from "../plan/planner";
import { liftedCombineOf, type LiftedCombine } from "../precombine/lifted-combine";

/** URN of the node that sends an edge's data to other instances. */
export const EXCHANGE_OUT_URN = "beamline:internal:exchange_out:v1";
/** URN of the source node that receives an edge's data from other instances. */
export const EXCHANGE_IN_URN = "beamline:internal:exchange_in:v1";

/** The payload of an {@link EXCHANGE_OUT_URN} or {@link EXCHANGE_IN_URN} node: the id of its edge. */
export interface ExchangePayload {
  readonly edge: number;
}

/** How an exchange edge routes rows. */
export type Routing = "hash" | "single" | "broadcast" | "rebalance";

/** Where a node runs. */
export type Placement = "all" | "single";

/** An edge whose data moves between instances. */
export interface ExchangeEdge {
  readonly id: number;
  /** The PCollection carried. */
  readonly pcollection: string;
  /** The consuming node and its input tag. */
  readonly consumer: string;
  readonly tag: string;
  readonly routing: Routing;
  /** Key fields, for hash routing. */
  readonly keyFields: readonly string[];
  /** Workers that send (where the producer runs) and that receive (where the consumer runs). */
  readonly senders: readonly number[];
  readonly receivers: readonly number[];
  /** For a hash edge into a combine that can be lifted: what senders pre-combine before routing. */
  readonly lift?: LiftedCombine | null;
}

/** The parallel layout of a plan. */
export interface Layout {
  readonly parallelism: number;
  readonly placement: Readonly<Record<string, Placement>>;
  readonly edges: readonly ExchangeEdge[];
}

function workers(p: Placement, parallelism: number): number[] {
  return p === "single" ? [0] : Array.from({ length: parallelism }, (_, i) => i);
}

/** The key fields a keyed transform groups by, from its URN and payload. */
export function keyFieldsOf(t: GraphTransform): string[] {
  if (t.urn === GROUP_BY_KEY_URN) return ["key"];
  const combine = payloadOf(t, COMBINE_PER_KEY_URN);
  if (combine) return [...combine.keyFields];
  // A stateful ParDo keeps state per key of its `{key, value}` rows.
  if (isKeyed(t)) return ["key"];
  return [];
}

/**
 * Lays a plan out on `parallelism` workers. `rebalance` names the read nodes whose sources split into
 * fewer parts than workers: their output is spread over all workers.
 */
export function layout(graph: PipelineGraph, plan: Plan, parallelism: number, rebalance: ReadonlySet<string>): Layout {
  const placement: Record<string, Placement> = {};
  const producerOf = new Map<string, PlannedNode>();
  for (const n of plan.nodes) for (const pc of Object.values(n.transform.outputs)) producerOf.set(pc, n);
  const edges: ExchangeEdge[] = [];
  for (const n of plan.nodes) {
    const t = n.transform;
    const stage = plan.stages[n.stage];
    const entry = stage.nodes[0] === t.uniqueName;
    const inputs = Object.entries(t.inputs).map(([tag, pc]) => {
      const producer = producerOf.get(pc)!;
      const exchange = entry ? (stage.inputs.find((i) => i.pcollection === pc)?.exchange ?? "forward") : "forward";
      return { tag, pc, producer, exchange: tag.startsWith("side:") ? "broadcast" : exchange };
    });
    const mains = inputs.filter((i) => !i.tag.startsWith("side:"));
    let place: Placement;
    if (mains.some((i) => i.exchange === "single") || t.urn === WRITE_URN) place = "single";
    else if (mains.length > 0 && mains.every((i) => i.exchange === "forward" && placement[i.producer.transform.uniqueName] === "single")) place = "single";
    else place = "all";
    if (parallelism === 1) place = "all";
    placement[t.uniqueName] = place;
    if (parallelism === 1) continue;
    for (const i of inputs) {
      const from = placement[i.producer.transform.uniqueName];
      let routing: Routing | null = null;
      if (i.exchange === "hash") routing = place === "single" ? "single" : "hash";
      else if (i.exchange === "broadcast") routing = place === "single" && from === "single" ? null : "broadcast";
      else if (i.exchange === "single" || place === "single") routing = from === "single" ? null : "single";
      else if (from === "single") routing = "single"; // a single-placed producer feeding an all-placed node: to worker 0's instance
      else if (rebalance.has(i.producer.transform.uniqueName)) routing = "rebalance";
      if (routing === null) continue;
      edges.push({
        id: edges.length,
        pcollection: i.pc,
        consumer: t.uniqueName,
        tag: i.tag,
        routing,
        keyFields: routing === "hash" ? keyFieldsOf(t) : [],
        senders: workers(from, parallelism),
        receivers: workers(place, parallelism),
        lift: routing === "hash" ? liftedCombineOf(graph, t, i.pc) : null,
      });
    }
  }
  return { parallelism, placement, edges };
}

/** The graph and plan one worker executes: its nodes, with exchange nodes at the edges. */
export function instancePlan(graph: PipelineGraph, plan: Plan, lay: Layout, worker: number): { graph: PipelineGraph; plan: Plan } {
  const transforms: Record<string, GraphTransform> = { ...graph.transforms };
  const pcollections: Record<string, GraphPCollection> = { ...graph.pcollections };
  const kept = plan.nodes.filter((n) => lay.placement[n.transform.uniqueName] === "all" || worker === 0);
  const rewired = new Map<string, Record<string, string>>();
  const ins: PlannedNode[] = [];
  const outs: PlannedNode[] = [];
  const stage = plan.stages.length;
  for (const e of lay.edges) {
    if (e.senders.includes(worker)) {
      const name = `${EXCHANGE_OUT_URN}/${e.id}`;
      const t: GraphTransform = { uniqueName: name, urn: EXCHANGE_OUT_URN, payload: { edge: e.id } satisfies ExchangePayload, inputs: { main: e.pcollection }, outputs: {}, subtransforms: [], parent: null };
      transforms[name] = t;
      outs.push({ transform: t, stage });
    }
    if (e.receivers.includes(worker)) {
      const name = `${EXCHANGE_IN_URN}/${e.id}`;
      const pc = `${e.pcollection}@exchange${e.id}`;
      pcollections[pc] = { ...graph.pcollections[e.pcollection], id: pc, producer: name };
      const t: GraphTransform = { uniqueName: name, urn: EXCHANGE_IN_URN, payload: { edge: e.id } satisfies ExchangePayload, inputs: {}, outputs: { main: pc }, subtransforms: [], parent: null };
      transforms[name] = t;
      ins.push({ transform: t, stage });
      const inputs = rewired.get(e.consumer) ?? { ...graph.transforms[e.consumer].inputs };
      inputs[e.tag] = pc;
      rewired.set(e.consumer, inputs);
    }
  }
  for (const [name, inputs] of rewired) transforms[name] = { ...transforms[name], inputs };
  const nodes: PlannedNode[] = [...ins, ...kept.map((n) => ({ ...n, transform: transforms[n.transform.uniqueName] })), ...outs];
  const consumers = new Map<string, { node: string; tag: string }[]>();
  for (const id of Object.keys(pcollections)) consumers.set(id, []);
  for (const n of nodes) for (const [tag, pc] of Object.entries(n.transform.inputs)) consumers.get(pc)!.push({ node: n.transform.uniqueName, tag });
  const instanceGraph: PipelineGraph = { ...graph, transforms, pcollections };
  return { graph: instanceGraph, plan: { nodes, stages: plan.stages, consumers } };
}
