/**
 * TestStream data that meets itself after different numbers of GroupByKeys (Beam's "TestStream with
 * multiple stages"): the direct runner and Prism let every stage settle before a TestStream's next
 * event, so a stateful DoFn after a Flatten of a raw and a grouped path sees the grouped result of
 * earlier events before later raw elements; Beam's Flink runner does not wait, and the order (so the
 * DoFn's state) differs. Such a pipeline is refused on Flink before submission.
 */
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";
import { FLATTEN_URN, GROUP_BY_KEY_URN } from "../../sdk/kv";
import { isStatefulParDo } from "../../sdk/payload";
import { consumers, firstDownstream } from "./graph-reach";

/** For each PCollection computed from `sources`, how many GroupByKeys its data may have passed since them. */
function stageCounts(sources: readonly string[], readers: Map<string, GraphTransform[]>): Map<string, Set<number>> {
  const counts = new Map<string, Set<number>>(sources.map((pc) => [pc, new Set([0])]));
  const todo = [...sources];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    for (const t of readers.get(pc) ?? []) {
      const step = t.urn === GROUP_BY_KEY_URN ? 1 : 0;
      for (const out of Object.values(t.outputs)) {
        const have = counts.get(out) ?? new Set<number>();
        const before = have.size;
        for (const n of counts.get(pc)!) have.add(n + step);
        counts.set(out, have);
        if (have.size > before) todo.push(out);
      }
    }
  }
  return counts;
}

/** Why `graph` would give other results on a runner that does not let a TestStream's stages settle between its events (`why`), one message per Flatten. */
export function multiStageProblems(graph: PipelineGraph, testStreams: readonly string[], why: string): string[] {
  if (testStreams.length === 0) return [];
  const readers = consumers(graph, false);
  const counts = stageCounts(
    testStreams.flatMap((name) => Object.values(graph.transforms[name].outputs)),
    readers,
  );
  const out: string[] = [];
  for (const t of Object.values(graph.transforms)) {
    if (t.urn !== FLATTEN_URN || t.subtransforms.length > 0) continue;
    const stages = new Set(Object.values(t.inputs).flatMap((pc) => [...(counts.get(pc) ?? [])]));
    if (stages.size < 2) continue;
    const stateful = firstDownstream(t.outputs.main, readers, (x) => (isStatefulParDo(x) ? x.uniqueName : null), (x) => x.urn !== GROUP_BY_KEY_URN);
    if (stateful) out.push(`${t.uniqueName}: TestStream data reaches the stateful ${stateful} after ${[...stages].sort().join(" and ")} GroupByKeys (${why})`);
  }
  return out;
}
