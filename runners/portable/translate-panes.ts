/**
 * The windowing shapes whose panes a portable runner computes differently from the model as the direct
 * runner computes it, refused before submission (a run that gives other panes than the direct runner is
 * a wrong answer, not a difference of taste). Each rule names the runner's behaviour, the Beam issue
 * where there is one, and a shape that runs correctly. Shapes not listed give the direct runner's panes
 * (test/integration/portable-teststream.test.ts and portable-semantics.test.ts hold both sides to it).
 *
 * - Prism (apache/beam#31438, #36069, #36142): merging windows (a merged session's on-time pane comes
 *   out early; a trigger that keeps state is refused at Prepare); processing-time triggers (they fire
 *   late, so on-time panes come out early first); allowed lateness on windows that end, bounded or not
 *   (a window that closes with data fires one more late pane repeating its data, and an on-time pane is
 *   not marked last when the watermark passes the window's end and its lateness at once); an earliest
 *   or latest timestamp combiner on windows that end (the output timestamp stays at the earliest
 *   element after an early pane, and at the element's for data behind the watermark).
 * - Flink (Beam's Java ReduceFnRunner): allowed lateness on unbounded windows that end (the first pane of a window
 *   whose data all came after the watermark passed its end is on time there, as its own watermark hold
 *   keeps the output watermark before the window's end; the model, and the direct runner, call it late).
 * - A trigger that fires early on windows that end: Prism ignores the on-time behaviour (it fires the
 *   on-time pane when the window holds data, accumulated or new), so it is right only for discarding
 *   with fireIfNonEmpty and accumulating with the default; Beam's Flink runner, asked for FIRE_IF_NONEMPTY (under
 *   FIRE_ALWAYS it adds empty on-time panes to windows whose on-time pane had data), skips the on-time
 *   pane of a window with no data since its last early pane, in accumulating mode too.
 */
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";
import { GROUP_BY_KEY_URN } from "../../sdk/kv";
import { usesProcessingTime, type TriggerSpec } from "../../sdk/trigger";
import { isMerging, type WindowingStrategy } from "../../sdk/window";

/** Whether a trigger holds an `afterWatermark` (so it fires an on-time pane) and may fire before it (an early pane). */
function firesEarlyThenOnTime(t: TriggerSpec): boolean {
  if (t.kind === "default") return false;
  if (t.kind === "afterWatermark") return t.early !== undefined && t.early.kind !== "never";
  return holdsAfterWatermark(t);
}

function holdsAfterWatermark(t: TriggerSpec): boolean {
  switch (t.kind) {
    case "afterWatermark":
      return true;
    case "repeatedly":
      return holdsAfterWatermark(t.trigger);
    case "orFinally":
      return holdsAfterWatermark(t.trigger) || holdsAfterWatermark(t.until);
    case "afterEach":
    case "afterFirst":
    case "afterAll":
      return t.triggers.some(holdsAfterWatermark);
    default:
      return false;
  }
}

/**
 * Why `runner` would give other panes than the direct runner for a grouping under `ws`, one message per
 * rule broken (empty: none). `bounded`: the grouping's input is bounded, so no data comes late and
 * allowed lateness changes nothing.
 */
export function windowingProblems(runner: string, ws: WindowingStrategy, bounded: boolean): string[] {
  if (ws.windowFn.kind === "global") return [];
  const problems: string[] = [];
  if (runner === "prism") {
    if (isMerging(ws.windowFn)) {
      problems.push(
        "merging windows (sessions): Prism's triggers do not handle merging windows (apache/beam#31438): a merged session's on-time pane comes out early, and a trigger that keeps state is refused; run it on the direct runner or on Flink",
      );
    }
    if (ws.allowedLateness > 0) {
      problems.push(
        "allowed lateness: Prism's triggers are incomplete (apache/beam#36069, #36142): a window that closes with data fires one more late pane repeating its data, and an on-time pane is not marked last when the watermark passes the window's end and its lateness at once (in a bounded pipeline too); use allowedLateness 0 (late data is dropped, as on the direct runner), or run it on the direct runner",
      );
    }
    if (usesProcessingTime(ws.trigger)) {
      problems.push(
        "a processing-time trigger: Prism fires processing-time triggers late (as a TestStream ends), so panes Beam fires on time come out early first; use event-time and count triggers, or run it on the direct runner",
      );
    }
    if (ws.timestampCombiner !== "end_of_window") {
      problems.push(
        `timestamp combiner "${ws.timestampCombiner}": Prism keeps a pane's output timestamp at its earliest element after an early pane and for data behind the watermark (Beam moves it to the end of the window); use the end_of_window combiner, or run it on the direct runner`,
      );
    }
  }
  if (runner === "flink" && ws.allowedLateness > 0 && !bounded) {
    problems.push(
      "allowed lateness: Beam's Flink runner times the first pane of a window whose data all came after the watermark passed its end as on time (its watermark hold keeps the output watermark before the window's end), where the model calls it late; use allowedLateness 0 (late data is dropped, as on the direct runner), or run it on the direct runner",
    );
  }
  // Prism ignores the on-time behaviour: it fires the on-time pane when the window holds data, accumulated
  // or new, so it matches the model exactly when discarding goes with fireIfNonEmpty.
  if (runner === "prism" && (ws.accumulation === "discarding") !== (ws.onTimeBehavior === "fireIfNonEmpty") && firesEarlyThenOnTime(ws.trigger)) {
    problems.push(
      ws.accumulation === "discarding"
        ? 'a discarding trigger with early firings and the on-time pane fired even when empty: Prism ignores the on-time behaviour, so the empty on-time pane after an early pane took the data is not emitted; set onTimeBehavior: "fireIfNonEmpty", use accumulation: "accumulating", or run it on the direct runner'
        : 'an accumulating trigger with early firings and the on-time pane fired only with new data: Prism ignores the on-time behaviour and fires the on-time pane with the accumulated data; leave onTimeBehavior at its default (fireAlways), or run it on the direct runner',
    );
  }
  if (runner === "flink" && ws.onTimeBehavior !== "fireIfNonEmpty" && firesEarlyThenOnTime(ws.trigger)) {
    problems.push(
      'a trigger with early firings and the on-time pane fired even when it holds no new data: Beam\'s Flink runner, asked for FIRE_IF_NONEMPTY, skips the on-time pane of a window with no data since its last early pane (accumulated data included), and under FIRE_ALWAYS adds empty on-time panes to windows whose on-time pane had data; set onTimeBehavior: "fireIfNonEmpty", or run it on the direct runner',
    );
  }
  return problems;
}

/** The unsupported-list messages for every GroupByKey (a combine's included) of `graph` whose panes `runner` would compute differently from the direct runner. */
export function paneProblems(graph: PipelineGraph, runner: string): string[] {
  const out: string[] = [];
  for (const t of Object.values(graph.transforms) as GraphTransform[]) {
    if (t.urn !== GROUP_BY_KEY_URN || t.subtransforms.length > 0) continue;
    const input = graph.pcollections[t.inputs.main];
    for (const p of windowingProblems(runner, graph.windowingStrategies[input.windowing], input.bounded)) out.push(`${t.uniqueName}: ${p}`);
  }
  return out;
}
