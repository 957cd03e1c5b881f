/**
 * A tagged TestStream on a runner that advances all its outputs under one watermark (Prism: the
 * furthest any output reached): an element behind that shared watermark, but not behind its own
 * output's, is late there and not on the direct runner. Where such an output reaches windows that end,
 * its panes (or its drops, or a side input's readiness) differ, so the script is refused before
 * submission; in the global window nothing is dropped or closed early, and the script runs.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { MIN_TIMESTAMP } from "../../sdk/time";
import type { TestStreamScriptEvent } from "./translate-teststream";
import { consumers, firstDownstream } from "./graph-reach";

/** The output tags of a script with an element behind the furthest watermark of any output but not behind its own output's. */
export function tagsBehindSharedWatermark(script: readonly TestStreamScriptEvent[]): Set<string> {
  const marks = new Map<string, number>();
  let shared = MIN_TIMESTAMP;
  const behind = new Set<string>();
  for (const e of script) {
    if (e.kind === "watermark") {
      marks.set(e.tag, Math.max(marks.get(e.tag) ?? MIN_TIMESTAMP, e.to));
      shared = Math.max(shared, e.to);
    } else if (e.kind === "elements") {
      const own = marks.get(e.tag) ?? MIN_TIMESTAMP;
      if (e.timestamps.some((t) => t < shared && t >= own)) behind.add(e.tag);
    }
  }
  return behind;
}

/** Whether a PCollection, or any PCollection computed from it, is in windows that end (not the global window). */
function reachesEndingWindows(graph: PipelineGraph, pc: string): boolean {
  const ending = (id: string) => graph.windowingStrategies[graph.pcollections[id].windowing].windowFn.kind !== "global";
  return ending(pc) || firstDownstream(pc, consumers(graph, true), (t) => (Object.values(t.outputs).some(ending) ? true : null)) !== null;
}

/** Why TestStream `name`'s script gives other results under one shared watermark (`why`: the runner's behaviour), or null when it does not. */
export function sharedWatermarkProblem(graph: PipelineGraph, name: string, script: readonly TestStreamScriptEvent[], why: string): string | null {
  const outputs = graph.transforms[name].outputs;
  if (Object.keys(outputs).length < 2) return null;
  const tags = [...tagsBehindSharedWatermark(script)].filter((tag) => reachesEndingWindows(graph, outputs[tag]));
  if (tags.length === 0) return null;
  return `tagged outputs ${tags.map((t) => `"${t}"`).join(", ")} add elements behind another output's watermark but not their own, in windows that end (${why})`;
}
