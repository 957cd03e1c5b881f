/**
 * Beam's trigger transcripts (../trigger-transcripts.yaml) as pipelines whose assertions hold the
 * transcripts' expected panes, for runners where panes cannot be told apart by the action that fired
 * them: a TestStream of the transcript's actions feeds its windowInto and then a GroupByKey and a
 * concatenating CombinePerKey, and each aggregation's panes must be the transcript's expected panes,
 * all of them, and nothing else but the panes the end of input fires (the watermark moving past the
 * transcript's last one to the end of time), which a transcript leaves open.
 *
 * The direct runner checks the transcripts action by action as well (../transcripts.ts). Without
 * that order, `bad_output` (a pane expected one action too early) cannot be rejected: it is left out.
 */
import * as path from "node:path";
import { assertThat, combinePerKey, groupByKey, map, Pipeline, testStream } from "beamline";
import { actionsOf, applyAction, concat, describePane, paneMatches, readTranscripts, transcriptWindowInto, type PaneDescription, type Row, type Transcript } from "../transcripts";
import type { SemanticsScenario } from "./scenario";

/** Transcripts whose rejection depends on the action that fired a pane. */
const ORDER_ONLY = new Set(["bad_output"]);

/** The panes `t` expects, from all its `expect` steps. */
function expectedPanes(t: Transcript): Partial<PaneDescription>[] {
  return actionsOf(t)
    .filter((a) => a.kind === "expect")
    .flatMap((a) => a.params as Partial<PaneDescription>[]);
}

/**
 * Whether `pane` is one the end of input fires: not early, and due only once the watermark passes the
 * transcript's last one (`watermark`, seconds): at the end of its window, or at its expiry if final.
 * Windows print as [start, max timestamp]; the global window's bounds print as null (JSON).
 */
function firedAtEnd(pane: PaneDescription, watermark: number, lateness: number): boolean {
  if (pane.early) return false;
  const maxTimestamp = pane.window[1] ?? Infinity;
  return maxTimestamp + (pane.final ? lateness : 0) >= watermark;
}

/** What Beam's transcript test would report for panes `fired` of `t` (`Unmatched output …`, `Unexpected output …`), or null. */
function transcriptFailure(t: Transcript, fired: PaneDescription[]): string | null {
  const left = [...fired];
  for (const expected of expectedPanes(t)) {
    const k = left.findIndex((c) => paneMatches(c, expected));
    if (k < 0) return `Unmatched output ${JSON.stringify(expected)} in ${JSON.stringify(left)}`;
    left.splice(k, 1);
  }
  const watermarks = actionsOf(t).filter((a) => a.kind === "watermark").map((a) => a.params as number);
  const last = watermarks.length > 0 ? Math.max(...watermarks) : -Infinity;
  const unexpected = left.filter((c) => !firedAtEnd(c, last, t.allowed_lateness ?? 0));
  return unexpected.length > 0 ? `Unexpected output: ${JSON.stringify(unexpected)}` : null;
}

/** The pipeline of `t`, asserting each aggregation's panes (or, for a transcript Beam rejects, that they are rejected with its error). */
function transcriptPipeline(t: Transcript): Pipeline {
  const stream = actionsOf(t).reduce(applyAction, testStream<Row>());
  const p = new Pipeline();
  const windowed = p.apply(stream).apply(transcriptWindowInto(t));
  // Each pane as JSON text: one schema however the runner batches rows, empty lists included.
  const grouped = windowed.apply(groupByKey<string, number>()).apply("DescribeGroups", map((g: { values: number[] }, info) => JSON.stringify(describePane(g.values, info))));
  const combined = windowed.apply(combinePerKey<string, number, number[]>(concat)).apply("DescribeCombined", map((g: { value: number[] }, info) => JSON.stringify(describePane(g.value, info))));
  for (const [name, panes] of [["GroupByKey", grouped], ["CombinePerKey", combined]] as const) {
    assertThat(panes, `${name} panes`).satisfies((rows) => {
      const failure = transcriptFailure(t, rows.map((r) => JSON.parse(r) as PaneDescription));
      if (t.error ? !failure?.startsWith(t.error) : failure) throw new Error(failure ?? `expected ${t.error}, every pane matched`);
    }, t.error ? `rejected: ${t.error}` : "the transcript's panes");
  }
  return p;
}

/** A scenario per transcript of ../trigger-transcripts.yaml (but those only the action order can reject). */
export const TRIGGER_TRANSCRIPTS: readonly SemanticsScenario[] = readTranscripts(path.join(__dirname, "..", "trigger-transcripts.yaml"))
  .filter((t) => !ORDER_ONLY.has(t.name))
  .map((t) => ({ name: t.error ? `${t.name} is rejected: ${t.error}` : t.name, beam: `trigger_transcripts.yaml: ${t.name}`, build: () => transcriptPipeline(t) }));
