/**
 * Plans a pipeline graph for the direct runner: picks the transforms to execute (primitives, and
 * composites the runner implements natively such as lifted combines), checks that every URN is
 * supported (reporting all unsupported ones at once), and fuses element-wise chains into stages
 * separated by the points where data must be redistributed by key.
 */
import { UnsupportedFeatureError } from "../../../sdk/errors";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { GROUP_BY_KEY_URN, RESHUFFLE_URN } from "../../../sdk/kv";
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { isStatefulParDo } from "../../../sdk/payload";
import { COMPOSITE_URN } from "../../../sdk/pipeline";
import type { OperatorRegistry } from "../contract/operator";

/** How an input reaches a stage. */
export type Exchange = "forward" | "hash" | "broadcast" | "single";

/** A transform to execute. */
export interface PlannedNode {
  readonly transform: GraphTransform;
  /** The stage it is fused into. */
  readonly stage: number;
}

/** A fused chain of nodes between redistribution points. */
export interface Stage {
  readonly id: number;
  readonly nodes: string[];
  /** How the stage's entry node receives each input. */
  readonly inputs: { pcollection: string; exchange: Exchange }[];
}

/** The executable plan. */
export interface Plan {
  readonly nodes: PlannedNode[];
  readonly stages: Stage[];
  /** Consumers of each PCollection id. */
  readonly consumers: Map<string, { node: string; tag: string }[]>;
}

const KEYED = new Set([GROUP_BY_KEY_URN, COMBINE_PER_KEY_URN]);

/** Whether a transform needs its input partitioned by key: grouping, or a ParDo with state or timers. */
export function isKeyed(t: GraphTransform): boolean {
  return KEYED.has(t.urn) || isStatefulParDo(t);
}
const SINGLE = new Set([COMBINE_GLOBALLY_URN]);

/** Plans a graph against the runner's operator registry. */
export function plan(graph: PipelineGraph, registry: OperatorRegistry): Plan {
  const leaves: GraphTransform[] = [];
  const unsupported: string[] = [];
  const visit = (name: string) => {
    const t = graph.transforms[name];
    if (t.subtransforms.length > 0 && registry.has(t.urn) && t.urn !== COMPOSITE_URN) {
      leaves.push(t);
      return;
    }
    if (t.subtransforms.length > 0) {
      t.subtransforms.forEach(visit);
      return;
    }
    if (!registry.has(t.urn)) unsupported.push(`${t.uniqueName} (${t.urn})`);
    leaves.push(t);
  };
  graph.roots.forEach(visit);
  if (unsupported.length > 0) {
    throw new UnsupportedFeatureError({
      code: "BL_UNSUPPORTED_TRANSFORMS",
      value: unsupported,
      rule: `the direct runner cannot execute ${unsupported.length} transform(s)`,
      fix: "remove them, or run on a runner that supports them",
    });
  }

  const consumers = new Map<string, { node: string; tag: string }[]>();
  for (const id of Object.keys(graph.pcollections)) consumers.set(id, []);
  for (const t of leaves) for (const [tag, pc] of Object.entries(t.inputs)) consumers.get(pc)!.push({ node: t.uniqueName, tag });

  // Fusion: a node joins its producer's stage when it has exactly one main input, that input has
  // exactly one consumer, and the node needs no redistribution (no grouping, no side inputs).
  const stageOf = new Map<string, number>();
  const stages: Stage[] = [];
  const producer = (pc: string) => graph.pcollections[pc].producer;
  const leafNames = new Set(leaves.map((l) => l.uniqueName));
  const leafOf = (name: string): string => {
    // A producer inside a natively executed composite is represented by that composite.
    let t = graph.transforms[name];
    while (!leafNames.has(t.uniqueName) && t.parent) t = graph.transforms[t.parent];
    return t.uniqueName;
  };
  const nodes: PlannedNode[] = [];
  for (const t of leaves) {
    const mains = Object.entries(t.inputs).filter(([tag]) => !tag.startsWith("side:"));
    const sides = Object.keys(t.inputs).filter((tag) => tag.startsWith("side:"));
    let stage: number;
    const fusible =
      mains.length === 1 &&
      sides.length === 0 &&
      !isKeyed(t) &&
      !SINGLE.has(t.urn) &&
      t.urn !== RESHUFFLE_URN &&
      consumers.get(mains[0][1])!.length === 1;
    if (fusible) {
      stage = stageOf.get(leafOf(producer(mains[0][1])))!;
      stages[stage].nodes.push(t.uniqueName);
    } else {
      stage = stages.length;
      const exchange: Exchange = isKeyed(t) ? "hash" : SINGLE.has(t.urn) ? "single" : "forward";
      stages.push({
        id: stage,
        nodes: [t.uniqueName],
        inputs: [
          ...mains.map(([, pc]) => ({ pcollection: pc, exchange })),
          ...sides.map((tag) => ({ pcollection: t.inputs[tag], exchange: "broadcast" as Exchange })),
        ],
      });
    }
    stageOf.set(t.uniqueName, stage);
    nodes.push({ transform: t, stage });
  }
  return { nodes, stages, consumers };
}
