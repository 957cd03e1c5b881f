/**
 * Beam's own tests of event-time semantics (TestStreamTest, LeaderBoardTest), re-expressed as pipelines
 * with Beam's expected values in test/semantics/scenarios/, run on Prism and on Flink: the same pipelines
 * and the same assertions the direct runner is held to (test/semantics/). Each scenario must pass, or be
 * refused before submission where the runner would compute other results than the model (KNOWN lists
 * each refusal with the part of its message that says why), so a translation
 * that changes either way fails the test. Each suite starts its service once.
 */
import { AssertionFailedError, assertThat, type AssertionFailure, Pipeline, schema, t, testStream } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { TESTSTREAM_JAVA } from "../semantics/scenarios/teststream-java";
import { LEADERBOARD } from "../semantics/scenarios/leaderboard";
import { PASSERT_VIEWS } from "../semantics/scenarios/passert-views";
import { REDUCE_FN_RUNNER } from "../semantics/scenarios/reduce-fn-runner";
import { TESTSTREAM_CLOCK } from "../semantics/scenarios/teststream-clock";
import { TESTSTREAM_PYTHON } from "../semantics/scenarios/teststream-python";
import { TRIGGER_TRANSCRIPTS } from "../semantics/scenarios/transcripts";
import type { SemanticsScenario } from "../semantics/scenarios/scenario";
import { describeWithFlinkJobServer, describeWithPrism } from "./services";

/** What a run came to: every assertion held, some failed (with their diffs), or the runner refused the pipeline. */
type Outcome =
  | { readonly passed: true }
  | { readonly failed: readonly Failure[] }
  | { readonly refused: string }
  | { readonly error: string };

/** A failed assertion: its rows missing and unexpected, or (a `satisfies` check) why it failed. */
interface Failure {
  readonly assertion: string;
  readonly missing: readonly unknown[];
  readonly unexpected: readonly unknown[];
  readonly reason?: string;
}

/** A scenario a runner does not pass: the outcome (a refusal before submission), and why. */
interface Known {
  readonly outcome: Outcome;
  readonly why: string;
}

/** Allowed lateness on windows that end: refused on Prism (extra closing late panes, on-time panes not marked last). */
const PRISM_LATENESS = "Prism's triggers are incomplete (apache/beam#36069, #36142): the portable translation refuses allowed lateness on windows that end before submission, naming the grouping";

/** Processing-time triggers on windows that end: refused on Prism. */
const PRISM_PROCESSING_TIME = "Prism fires processing-time triggers late (as a TestStream ends), so panes Beam fires on time come out early first: the portable translation refuses processing-time triggers on windows that end";

/** Merging windows: refused on Prism (its triggers do not handle them). */
const PRISM_MERGING = "Prism's triggers do not handle merging windows (apache/beam#31438): the portable translation refuses session-windowed groupings before submission";

/** Earliest or latest output timestamps on windows that end: refused on Prism. */
const PRISM_TIMESTAMPS = "Prism keeps a pane's output timestamp at its earliest element where Beam moves it: the portable translation refuses earliest and latest timestamp combiners on windows that end";

/** A discarding trigger with early firings: refused (Prism ignores the on-time behaviour, so the direct runner's empty on-time pane is not emitted). */
const PRISM_EMPTY_ON_TIME = "Prism ignores the on-time behaviour, so the empty on-time pane after a discarding early pane is not emitted: the portable translation refuses the shape unless onTimeBehavior is fireIfNonEmpty";

/** Prism drives one TestStream per pipeline; the translation refuses two before submission. */
const PRISM_ONE_TESTSTREAM = "Prism drives at most one TestStream per pipeline, so the portable translation refuses two before submission, naming both; the shared processing-time clock of several TestStreams cannot be shown there";

/** A TestStream's tagged outputs share one watermark on Prism. */
const PRISM_TAGGED_WATERMARK =
  "Prism advances a TestStream's tagged outputs under one watermark, the furthest any output reached, so an output's data behind another output's watermark is late or dropped there (and a side input's window never ready): the portable translation refuses such a script before submission when the output reaches windows that end";

/** Allowed lateness on unbounded windows that end: refused on Flink. */
const FLINK_LATENESS = "Beam's Flink runner times the first pane of a window whose data all came after the watermark passed its end as on time, where the model calls it late: the portable translation refuses allowed lateness on unbounded windows that end";

/** Early firings without fireIfNonEmpty: refused on Flink. */
const FLINK_EARLY = "Beam's Flink runner skips the on-time pane of a window with no data since its last early pane: the portable translation refuses early firings unless the on-time pane fires only when non-empty";

/** TestStreams advancing processing time: refused on Flink. */
const FLINK_PROCESSING_TIME = "Beam's Flink runner cannot advance processing time in a TestStream: the portable translation refuses such a script before submission";

/** Tagged TestStreams: refused on Flink. */
const FLINK_TAGGED = "Beam's Flink runner translates a TestStream with one output only and fails the job with several: the portable translation refuses tagged TestStreams before submission";

/** A stateful DoFn fed by TestStream data after different numbers of GroupByKeys: refused on Flink. */
const FLINK_MULTI_STAGE = "Beam's Flink runner does not let every stage settle before a TestStream's next event (Beam's UsesTestStreamWithMultipleStages): the portable translation refuses a stateful DoFn fed by a raw and a grouped path of one TestStream";

/** Elements in a window cut short by the end of the global window: refused on Flink. */
const FLINK_CUT_WINDOW = "Beam's Flink runner fails the job (an IllegalStateException of its TimestampCombiner) for elements in a window the end of the global window cuts short: the portable translation refuses such a script before submission";

/** Where each runner does not pass a scenario (a refusal before submission), by Beam test; every other scenario passes. */
const KNOWN: Record<"prism" | "flink", Record<string, Known>> = {
  prism: {
    "TestStreamTest.testMultipleStreams": {
      outcome: { refused: "several TestStreams in one pipeline (Prism's element manager holds a single TestStream handler" },
      why: "Prism drives at most one TestStream per pipeline, so the portable translation refuses two before submission, naming both",
    },
    "TestStreamTest.testMultipleStreams, with processing time": { outcome: {"refused": "several TestStreams in one pipeline (Prism's element manager holds a single TestStream handler"}, why: PRISM_ONE_TESTSTREAM },
    "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement, with late data": { outcome: { refused: "Prism advances a TestStream's tagged outputs under one watermark" }, why: PRISM_TAGGED_WATERMARK },
    "TestStreamTest.testMultipleStreams, interleaved processing time": { outcome: {"refused": "several TestStreams in one pipeline (Prism's element manager holds a single TestStream handler"}, why: PRISM_ONE_TESTSTREAM },
    "test_stream_test.TestStreamTest.test_basic_execution_sideinputs_fixed_windows": { outcome: { refused: "Prism advances a TestStream's tagged outputs under one watermark" }, why: PRISM_TAGGED_WATERMARK },
    "TestStreamTest.testLateDataAccumulating": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "TestStreamTest.testDiscardingMode": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "TestStreamTest.testEarlyPanesOfWindow": { outcome: { refused: "a processing-time trigger: Prism fires processing-time triggers late" }, why: PRISM_PROCESSING_TIME },
    "TestStreamTest.testFirstElementLate": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "LeaderBoardTest.testTeamScoresOnTime": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "LeaderBoardTest.testTeamScoresSpeculative": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "LeaderBoardTest.testTeamScoresUnobservablyLate": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "LeaderBoardTest.testTeamScoresObservablyLate": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "LeaderBoardTest.testTeamScoresDroppablyLate": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement": { outcome: { refused: "a discarding trigger with early firings and the on-time pane fired even when empty: Prism" }, why: PRISM_EMPTY_ON_TIME },
    "ReduceFnRunnerTest.testOnlyOneOnTimePane": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testPaneInfoAllStatesAfterWatermark": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.noEmptyPanesFinalIfNonEmpty": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.noEmptyPanesFinalAlways": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testPaneInfoFinalAndOnTime": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testEmptyOnTimeFromOrFinally": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testEmptyOnTimeWithOnTimeBehaviorFireIfNonEmpty": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testWatermarkHoldAndLateData": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "ReduceFnRunnerTest.testMergeBeforeFinalizing": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "ReduceFnRunnerTest.testMergingWithReusedWindow": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "ReduceFnRunner: pane state per merged window": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "ReduceFnRunnerTest.testSessionEowAndGcTogether": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "ReduceFnRunnerTest.testFixedWindowsEowAndGcTogether": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "PAssert.inCombinedNonLatePanes, inEarlyPane, inLatePane": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "PAssert.satisfies": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "PAssertTest.testIsEqualTo, testWindowedIsEqualTo, testNotEqualTo": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "trigger_transcripts.yaml: fixed_default_late_data": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "trigger_transcripts.yaml: timestamp_combiner_earliest": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "trigger_transcripts.yaml: timestamp_combiner_latest": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "trigger_transcripts.yaml: early_late_sessions": { outcome: { refused: "merging windows (sessions): Prism's triggers do not handle merging windows" }, why: PRISM_MERGING },
    "trigger_transcripts.yaml: discarding_early_fixed": { outcome: { refused: "a discarding trigger with early firings and the on-time pane fired even when empty: Prism" }, why: PRISM_EMPTY_ON_TIME },
    "trigger_transcripts.yaml: garbage_collection": { outcome: { refused: "allowed lateness: Prism's triggers are incomplete" }, why: PRISM_LATENESS },
    "trigger_transcripts.yaml: known_late_data_watermark": { outcome: { refused: "Prism keeps a pane's output timestamp at its earliest element" }, why: PRISM_TIMESTAMPS },
    "trigger_transcripts.yaml: known_late_data_no_watermark_hold_possible": { outcome: { refused: "Prism keeps a pane's output timestamp at its earliest element" }, why: PRISM_TIMESTAMPS },
  },
  flink: {
    "TestStreamTest.testLateDataAccumulating": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "TestStreamTest.testProcessingTimeTrigger": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "TestStreamTest.testDiscardingMode": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "TestStreamTest.testFirstElementLate": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "TestStreamTest.testEarlyPanesOfWindow": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "TestStreamTest.testMultiStage": { outcome: { refused: "TestStream data reaches the stateful" }, why: FLINK_MULTI_STAGE },
    "LeaderBoardTest.testTeamScoresOnTime": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "LeaderBoardTest.testTeamScoresSpeculative": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "LeaderBoardTest.testTeamScoresUnobservablyLate": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "LeaderBoardTest.testTeamScoresObservablyLate": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "LeaderBoardTest.testTeamScoresDroppablyLate": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "LeaderBoardTest.testUserScore": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "test_stream_test.TestStreamTest.test_basic_execution": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "test_stream_test.TestStreamTest.test_multiple_outputs": { outcome: { refused: "tagged outputs (Beam's Flink runner translates a TestStream with one output only" }, why: FLINK_TAGGED },
    "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement": { outcome: { refused: "tagged outputs (Beam's Flink runner translates a TestStream with one output only" }, why: FLINK_TAGGED },
    "test_stream_test.TestStreamTest.test_basic_execution_sideinputs": { outcome: { refused: "tagged outputs (Beam's Flink runner translates a TestStream with one output only" }, why: FLINK_TAGGED },
    "test_stream_test.TestStreamTest.test_basic_execution_sideinputs_fixed_windows": { outcome: { refused: "tagged outputs (Beam's Flink runner translates a TestStream with one output only" }, why: FLINK_TAGGED },
    "TestStreamTest.testMultipleStreams, with processing time": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement, with late data": { outcome: { refused: "tagged outputs (Beam's Flink runner translates a TestStream with one output only" }, why: FLINK_TAGGED },
    "TestStreamTest.testMultipleStreams, interleaved processing time": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "ReduceFnRunnerTest.testOnlyOneOnTimePane": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testPaneInfoAllStatesAfterWatermark": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.noEmptyPanesFinalIfNonEmpty": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.noEmptyPanesFinalAlways": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testPaneInfoFinalAndOnTime": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testEmptyOnTimeFromOrFinally": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "ReduceFnRunnerTest.testEmptyOnTimeWithOnTimeBehaviorFireIfNonEmpty": { outcome: { refused: "TestStream advancing processing time" }, why: FLINK_PROCESSING_TIME },
    "ReduceFnRunnerTest.testWatermarkHoldAndLateData": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testMergingWithReusedWindow": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunner: pane state per merged window": { outcome: { refused: "a trigger with early firings and the on-time pane fired even when it holds no new data: Beam's Flink runner" }, why: FLINK_EARLY },
    "ReduceFnRunnerTest.testSessionEowAndGcTogether": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "ReduceFnRunnerTest.testFixedWindowsEowAndGcTogether": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "PAssert.inCombinedNonLatePanes, inEarlyPane, inLatePane": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "PAssert.satisfies": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "PAssertTest.testIsEqualTo, testWindowedIsEqualTo, testNotEqualTo": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "trigger_transcripts.yaml: fixed_default_late_data": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "trigger_transcripts.yaml: timestamp_combiner_earliest": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "trigger_transcripts.yaml: timestamp_combiner_latest": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "trigger_transcripts.yaml: early_late_sessions": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "trigger_transcripts.yaml: discarding_early_fixed": { outcome: { refused: "a trigger with early firings and the on-time pane fired even when it holds no new data: Beam's Flink runner" }, why: FLINK_EARLY },
    "trigger_transcripts.yaml: garbage_collection": { outcome: { refused: "allowed lateness: Beam's Flink runner" }, why: FLINK_LATENESS },
    "TestStreamTest.testElementsAtAlmostPositiveInfinity": { outcome: { refused: "fall in a window the end of the global window cuts short" }, why: FLINK_CUT_WINDOW },
  },

};

/** Rows in a stable order, so outcomes compare whatever order the runner delivered them in. */
function sorted(rows: readonly unknown[]): unknown[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function assertionFailure(e: unknown): AssertionFailedError | null {
  for (let x = e; x; x = (x as { cause?: unknown }).cause) if (x instanceof AssertionFailedError) return x;
  return null;
}

/** A failure as an outcome lists it; a check without rows to diff (`satisfies`) gives the first line of its reason. */
function failureOf(f: AssertionFailure): Failure {
  const base = { assertion: f.description, missing: sorted(f.missing), unexpected: sorted(f.unexpected) };
  if (f.missing.length > 0 || f.unexpected.length > 0) return base;
  return { ...base, reason: f.report.split("\n")[0].split(" — ").slice(1).join(" — ") };
}

/** How long a scenario's job may run before its outcome is that it did not finish (Flink's first job starts its task slots, which takes longer under load). */
const JOB_TIMEOUT_MS: Record<string, number> = { prism: 20_000, flink: 90_000 };

/** Runs `p` on `runner` and says what came of it. */
async function outcomeOn(endpoint: string, p: Pipeline, runner = "prism"): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ error: `did not finish within ${JOB_TIMEOUT_MS[runner] / 1000} s` }), JOB_TIMEOUT_MS[runner]);
  });
  try {
    return await Promise.race([run(endpoint, p, runner), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(endpoint: string, p: Pipeline, runner: string): Promise<Outcome> {
  try {
    await new PortableRunner({ jobEndpoint: endpoint, runnerName: runner }).run(p);
    return { passed: true };
  } catch (e) {
    const failed = assertionFailure(e);
    if (failed) return { failed: failed.failures.map(failureOf) };
    if ((e as { code?: string }).code === "BL_PORTABLE_UNSUPPORTED") return { refused: (e as Error).message };
    return { error: (e as Error).message };
  }
}

/** The outcome a scenario must have on `runner`. */
function expectedOutcome(s: SemanticsScenario, runner: "prism" | "flink"): Outcome {
  return KNOWN[runner][s.beam]?.outcome ?? { passed: true };
}

const SCENARIOS: readonly SemanticsScenario[] = [
  ...TESTSTREAM_JAVA,
  ...LEADERBOARD,
  ...TESTSTREAM_PYTHON,
  ...TESTSTREAM_CLOCK,
  ...REDUCE_FN_RUNNER,
  ...PASSERT_VIEWS,
  ...TRIGGER_TRANSCRIPTS,
];

test("every known difference names a scenario and gives a reason", () => {
  for (const [beam, k] of [...Object.entries(KNOWN.prism), ...Object.entries(KNOWN.flink)]) {
    expect([beam, SCENARIOS.some((s) => s.beam === beam)]).toEqual([beam, true]);
    expect(k.why.length).toBeGreaterThan(20);
  }
});

/** One test per scenario: on `runner` it passes, or has the outcome KNOWN gives. */
function sameOutcomes(runner: "prism" | "flink", endpoint: () => string, timeoutMs: number): void {
  for (const s of SCENARIOS) {
    test(`${s.beam}: ${s.name}`, async () => {
      const got = await outcomeOn(endpoint(), s.build(), runner);
      const want = expectedOutcome(s, runner);
      // A refusal or an error is matched by the part of its message that says why.
      if ("refused" in want && "refused" in got) expect(got.refused).toContain(want.refused);
      else if ("error" in want && "error" in got) expect(got.error).toContain(want.error);
      else expect(got).toEqual(want);
    }, timeoutMs);
  }
}

describeWithPrism("Prism: Beam's event-time semantics tests", (prism) => {
  sameOutcomes("prism", () => prism().jobEndpoint, 60_000);

  test("an assertion on a PCollection that stays empty is checked on Prism: its sink commits though no row came", async () => {
    const p = new Pipeline();
    const none = p.apply("Nothing", testStream({ schema: schema({ word: t.string() }) }).advanceWatermarkToInfinity());
    assertThat(none, "ExpectsOne").containsInAnyOrder([{ word: "x" }]);
    expect(await outcomeOn(prism().jobEndpoint, p)).toEqual({ failed: [{ assertion: expect.stringContaining("containsInAnyOrder(1 row(s))"), missing: [{ word: "x" }], unexpected: [] }] });
  }, 60_000);
});

describeWithFlinkJobServer("Flink embedded (streaming mode): Beam's event-time semantics tests", (server) => {
  sameOutcomes("flink", () => server().jobEndpoint, 120_000);
});
