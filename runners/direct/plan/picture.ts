/**
 * `beamline graph PIPELINE`: the direct runner's plan of a pipeline as a picture — every transform it
 * executes, grouped by the fused stage it runs in, with the PCollections between them and how each
 * stage receives its input (forward, by key, to one instance); drawn by `metrics/graph-picture.ts`.
 */
import type { PipelineGraph } from "../../../sdk/graph";
import { kindOf, pictureDot, pictureSvg, type GraphPicture, type PictureEdge } from "../../metrics/graph-picture";
import type { Exchange, Plan } from "./planner";

/** The plan as a picture: its transforms with their stages, and the exchange of every edge that enters another stage. */
export function planPicture(graph: PipelineGraph, plan: Plan): GraphPicture {
  const stageOf = new Map(plan.nodes.map((n) => [n.transform.uniqueName, n.stage]));
  const producer = new Map<string, string>();
  for (const n of plan.nodes) for (const pc of Object.values(n.transform.outputs)) producer.set(pc, n.transform.uniqueName);
  const edges: PictureEdge[] = [];
  for (const n of plan.nodes) {
    const to = n.transform.uniqueName;
    for (const [tag, pc] of Object.entries(n.transform.inputs)) {
      const from = producer.get(pc);
      if (from === undefined) continue;
      const exchange: Exchange | null = stageOf.get(from) !== stageOf.get(to) ? plan.stages[n.stage].inputs.find((i) => i.pcollection === pc)?.exchange ?? "forward" : null;
      edges.push({ from, to, tag, exchange });
    }
  }
  const nodes = plan.nodes.map((n) => ({ name: n.transform.uniqueName, urn: graph.transforms[n.transform.uniqueName].urn, kind: kindOf(graph.transforms[n.transform.uniqueName].urn), stage: n.stage }));
  return { nodes, edges };
}

/** The plan as plain data for a client-side layout (the web UI lays it out with elkjs): transforms with their kind and stage, and edges. */
export function planData(graph: PipelineGraph, plan: Plan): { nodes: { name: string; kind: string; stage: number }[]; edges: { from: string; to: string; exchange: string | null }[] } {
  const picture = planPicture(graph, plan);
  return { nodes: picture.nodes.map(({ name, kind, stage }) => ({ name, kind, stage })), edges: picture.edges.map(({ from, to, exchange }) => ({ from, to, exchange })) };
}

/** The plan as Graphviz DOT: a cluster per fused stage; edges between stages labelled with their exchange. */
export function planDot(graph: PipelineGraph, plan: Plan): string {
  return pictureDot(planPicture(graph, plan));
}

/** The plan as a standalone SVG: transforms in layers top to bottom, colored by fused stage. */
export function planSvg(graph: PipelineGraph, plan: Plan): string {
  return pictureSvg(planPicture(graph, plan));
}
