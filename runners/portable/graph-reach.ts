/** What lies downstream of a PCollection in a pipeline graph, for checks made before translation. */
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";

/** The leaf transforms that read each PCollection; side inputs count when `sideInputs`. */
export function consumers(graph: PipelineGraph, sideInputs: boolean): Map<string, GraphTransform[]> {
  const out = new Map<string, GraphTransform[]>();
  for (const t of Object.values(graph.transforms)) {
    if (t.subtransforms.length > 0) continue;
    for (const [tag, pc] of Object.entries(t.inputs)) if (sideInputs || !tag.startsWith("side:")) out.set(pc, [...(out.get(pc) ?? []), t]);
  }
  return out;
}

/**
 * The first non-null `at(t)` over the transforms downstream of PCollection `start` (walking past a
 * transform only when `through(t)`), or null.
 */
export function firstDownstream<T>(start: string, readers: Map<string, GraphTransform[]>, at: (t: GraphTransform) => T | null, through: (t: GraphTransform) => boolean = () => true): T | null {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const t of readers.get(id) ?? []) {
      const hit = at(t);
      if (hit !== null) return hit;
      if (through(t)) todo.push(...Object.values(t.outputs));
    }
  }
  return null;
}
