/**
 * TestStream elements in a fixed or sliding window that the end of the global window cuts short:
 * Beam's Flink runner fails such a job (its TimestampCombiner finds the element after the cut window's
 * last timestamp), so the script is refused there before submission.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../sdk/time";
import type { WindowFnSpec } from "../../sdk/window";
import { consumers, firstDownstream } from "./graph-reach";
import type { TestStreamScriptEvent } from "./translate-teststream";

/** Whether the last window of `fn` holding timestamp `t` would end after the global window does. */
function cutByGlobalEnd(fn: WindowFnSpec, t: number): boolean {
  if (fn.kind !== "fixed" && fn.kind !== "sliding") return false;
  const period = fn.kind === "fixed" ? fn.size : fn.period;
  const lastStart = t - (((t - fn.offset) % period) + period) % period;
  return lastStart + fn.size > GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
}

/** Why TestStream `name`'s elements fall in windows cut by the end of the global window (`why`: the runner's behaviour), or null. */
export function cutWindowProblem(graph: PipelineGraph, name: string, script: readonly TestStreamScriptEvent[], why: string): string | null {
  const latest = Math.max(...script.flatMap((e) => (e.kind === "elements" ? e.timestamps : [])));
  if (!Number.isFinite(latest)) return null;
  const readers = consumers(graph, true);
  const cut = (pc: string) => cutByGlobalEnd(graph.windowingStrategies[graph.pcollections[pc].windowing].windowFn, latest);
  const hit = Object.values(graph.transforms[name].outputs).some((pc) => cut(pc) || firstDownstream(pc, readers, (t) => (Object.values(t.outputs).some(cut) ? true : null)) !== null);
  return hit ? `TestStream elements at ${latest} fall in a window the end of the global window cuts short (${why})` : null;
}
