/**
 * Beam's Java ReduceFnRunnerTest (runners/core-java/src/test/java/org/apache/beam/runners/core/
 * ReduceFnRunnerTest.java) as pipelines with Beam's expected values: each drives a TestStream through
 * windowInto and a grouping (a GroupByKey, or a sum per key), describes every fired pane (its values,
 * timestamp, window and pane info, as far as Beam's test checks them) and asserts the descriptions.
 * Where Beam's test uses a mocked trigger, the nearest real trigger stands in and the comment says so.
 * Beam's ReduceFnTester defaults to the EARLIEST timestamp combiner, so these pass it.
 */
import {
  afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, assertThat, combinePerKey, fixedWindows, globalWindows,
  groupByKey, map, orFinally, Pipeline, repeatedly, sessions, sum, testStream, timestamped, windowInto,
} from "beamline";
import type { ElementInfo, PCollection, TestStream, WindowIntoOptions, WindowFnSpec } from "beamline";
import type { SemanticsScenario } from "./scenario";

type Row = { key: string; value: number };
/** A fired pane's values (sorted; a GroupByKey's) or sum (a sum per key's). */
type Output = { values: number[] } | { value: number };
/** A pane as Beam's tests check it. */
type Pane = { isFirst: boolean; isLast: boolean; timing: string; index: number; nonSpeculativeIndex: number };

const el = (v: number, t = v) => timestamped<Row>({ key: "k", value: v }, t);

const pane = (isFirst: boolean, isLast: boolean, timing: string, index: number, nonSpeculativeIndex: number): Pane => ({ isFirst, isLast, timing, index, nonSpeculativeIndex });
const paneOf = (info: ElementInfo): Pane => pane(info.pane.isFirst, info.pane.isLast, info.pane.timing, info.pane.index, info.pane.nonSpeculativeIndex);
const valuesOf = (o: Output) => ("values" in o ? [...o.values].sort((a, b) => a - b) : [o.value]);
/** A pane's values, output timestamp, window and pane info. */
const full = (o: Output, info: ElementInfo) => ({ values: valuesOf(o), timestamp: info.timestamp, window: [info.window.start, info.window.end], pane: paneOf(info) });

/** `v` as JSON with its objects' keys sorted: one string per pane description, whatever order its fields were written in. */
function text(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/**
 * `stream` windowed by `fn` into a GroupByKey (or a sum per key), each fired pane described by
 * `describe`, and the descriptions asserted to be `expected` (as JSON text: the same schema however
 * the rows are batched, empty lists included).
 */
function reduce<D>(stream: TestStream<Row>, fn: WindowFnSpec, options: WindowIntoOptions, aggregate: "values" | "sum", describe: (o: Output, info: ElementInfo) => D, expected: D[]): Pipeline {
  const p = new Pipeline();
  const windowed = p.apply(stream).apply(windowInto<Row>(fn, { timestampCombiner: "earliest", ...options }));
  const out: PCollection<Output> = aggregate === "sum" ? windowed.apply(combinePerKey<string, number, number>(sum())) : windowed.apply(groupByKey<string, number>());
  assertThat(out.apply("Describe", map((o: Output, info) => text(describe(o, info))))).containsInAnyOrder(expected.map(text));
  return p;
}

// ReduceFnRunnerTest.testOnlyOneOnTimePane
function onlyOneOnTimePane(): Pipeline {
  return reduce(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1)).advanceWatermarkTo(10).addElements(el(3)),
    fixedWindows(10),
    { accumulation: "accumulating", allowedLateness: 100 },
    "sum",
    (o, info) => ({ sum: valuesOf(o)[0], pane: paneOf(info) }),
    [
      { sum: 1, pane: pane(true, false, "on_time", 0, 0) },
      { sum: 4, pane: pane(false, false, "late", 1, 1) },
    ],
  );
}

// ReduceFnRunnerTest.testPaneInfoAllStatesAfterWatermark
function paneInfoAllStatesAfterWatermark(): Pipeline {
  return reduce(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(50).advanceWatermarkTo(150),
    fixedWindows(10),
    { trigger: repeatedly(afterFirst(afterCount(2), afterWatermark())), accumulation: "discarding", allowedLateness: 100, closingBehavior: "fireAlways" },
    "values",
    full,
    [
      { values: [1, 2], timestamp: 1, window: [0, 10], pane: pane(true, false, "early", 0, -1) },
      { values: [], timestamp: 9, window: [0, 10], pane: pane(false, false, "on_time", 1, 0) },
      { values: [], timestamp: 9, window: [0, 10], pane: pane(false, true, "late", 2, 1) },
    ],
  );
}

// ReduceFnRunnerTest.noEmptyPanesFinalIfNonEmpty and noEmptyPanesFinalAlways
function noEmptyPanesFinal(closingBehavior: "fireIfNonEmpty" | "fireAlways", count: number): () => Pipeline {
  return () =>
    reduce(
      testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(20).advanceWatermarkTo(250),
      fixedWindows(10),
      { trigger: repeatedly(afterFirst(afterCount(2), afterWatermark())), accumulation: "accumulating", allowedLateness: 100, closingBehavior },
      "values",
      (o, info) => ({ values: valuesOf(o), timestamp: info.timestamp }),
      [
        { values: [1, 2], timestamp: 1 },
        { values: [1, 2], timestamp: 9 },
        { values: [1, 2], timestamp: 9 },
      ].slice(0, count),
    );
}

// ReduceFnRunnerTest.testPaneInfoFinalAndOnTime
function paneInfoFinalAndOnTime(): Pipeline {
  return reduce(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(150),
    fixedWindows(10),
    { trigger: orFinally(repeatedly(afterCount(2)), afterWatermark()), accumulation: "discarding", allowedLateness: 100, closingBehavior: "fireAlways" },
    "values",
    (_o, info) => paneOf(info),
    [
      pane(true, false, "early", 0, -1),
      pane(false, true, "on_time", 1, 0),
    ],
  );
}

// ReduceFnRunnerTest.testEmptyOnTimeFromOrFinally (closing behaviour left at Beam's default) and
// testEmptyOnTimeWithOnTimeBehaviorFireIfNonEmpty (closing behaviour FIRE_ALWAYS)
function emptyOnTime(onTimeBehavior: "fireAlways" | "fireIfNonEmpty"): () => Pipeline {
  const last: Pane = onTimeBehavior === "fireAlways" ? pane(false, false, "on_time", 1, 0) : pane(false, true, "late", 1, 0);
  return () =>
    reduce(
      testStream<Row>()
        .advanceWatermarkTo(0)
        .addElements(el(1, 1), el(1, 3), el(1, 7), el(1, 5))
        .advanceProcessingTime(6)
        .advanceWatermarkTo(11)
        .advanceWatermarkTo(110),
      fixedWindows(10),
      {
        trigger: afterEach(orFinally(repeatedly(afterProcessingTime(5)), afterWatermark()), repeatedly(afterProcessingTime(25))),
        accumulation: "accumulating",
        allowedLateness: 100,
        ...(onTimeBehavior === "fireIfNonEmpty" ? { closingBehavior: "fireAlways" as const } : {}),
        onTimeBehavior,
      },
      "sum",
      full,
      [
        { values: [4], timestamp: 1, window: [0, 10], pane: pane(true, false, "early", 0, -1) },
        { values: [4], timestamp: 9, window: [0, 10], pane: last },
      ],
    );
}

// ReduceFnRunnerTest.testWatermarkHoldAndLateData (its mocked trigger replaced by early firings after
// three elements and late firings after two; the output timestamps and panes are Beam's)
function watermarkHoldAndLateData(): Pipeline {
  return reduce(
    testStream<Row>()
      .addElements(el(1), el(3), el(2)) // early pane at 1
      .advanceWatermarkTo(4)
      .addElements(el(2), el(3), el(5), el(4)) // 2 and 3 are behind the output watermark: early pane at 4
      .advanceWatermarkTo(8)
      .addElements(el(6), el(5)) // behind the output watermark
      .advanceWatermarkTo(10) // on-time pane at the end of the window, as no element holds it
      .addElements(el(8)) // late, kept until the window closes
      .advanceWatermarkTo(50),
    fixedWindows(10),
    { trigger: afterWatermark({ early: afterCount(3), late: afterCount(2) }), accumulation: "accumulating", allowedLateness: 10 },
    "values",
    // The values of the final pane only, as Beam's test checks them.
    (o, info) => ({ timestamp: info.timestamp, window: [info.window.start, info.window.end], pane: paneOf(info), finalValues: info.pane.isLast ? valuesOf(o) : [] }),
    [
      { timestamp: 1, window: [0, 10], pane: pane(true, false, "early", 0, -1), finalValues: [] },
      { timestamp: 4, window: [0, 10], pane: pane(false, false, "early", 1, -1), finalValues: [] },
      { timestamp: 9, window: [0, 10], pane: pane(false, false, "on_time", 2, 0), finalValues: [] },
      { timestamp: 9, window: [0, 10], pane: pane(false, true, "late", 3, 1), finalValues: [1, 2, 2, 3, 3, 4, 5, 5, 6, 8] },
    ],
  );
}

// ReduceFnRunnerTest.testMergeBeforeFinalizing
function mergeBeforeFinalizing(): Pipeline {
  return reduce(testStream<Row>().addElements(el(1), el(10)).advanceWatermarkTo(100), sessions(10), { accumulation: "discarding" }, "values", full, [
    { values: [1, 10], timestamp: 1, window: [1, 20], pane: pane(true, true, "on_time", 0, 0) },
  ]);
}

// ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison (its mocked trigger, which fires once and
// finishes on the first element and then never fires, replaced by afterCount(1): the merged window's
// pane fires on its elements instead of at the watermark)
function mergingWithClosedDoesNotPoison(): Pipeline {
  return reduce(
    testStream<Row>().addElements(el(2)).addElements(el(1), el(2), el(3)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterCount(1), accumulation: "discarding", allowedLateness: 50 },
    "values",
    full,
    [
      { values: [2], timestamp: 2, window: [2, 12], pane: pane(true, true, "early", 0, -1) },
      { values: [1, 2, 3], timestamp: 1, window: [1, 13], pane: pane(true, true, "early", 0, -1) },
    ],
  );
}

// ReduceFnRunnerTest.testMergingWithReusedWindow (the mocked trigger that finishes at the end of the
// window is afterWatermark())
function mergingWithReusedWindow(): Pipeline {
  return reduce(
    testStream<Row>().addElements(el(1)).advanceWatermarkTo(15).addElements(el(1)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterWatermark(), accumulation: "discarding", allowedLateness: 50 },
    "values",
    full,
    [{ values: [1], timestamp: 1, window: [1, 11], pane: pane(true, true, "on_time", 0, 0) }],
  );
}

// Beam's ReduceFnRunner keeps pane state per window: a session that grows is a new window whose
// panes start at index 0 (see trigger-transcripts.yaml, early_late_sessions, for Python's differing
// driver).
function growingSession(): Pipeline {
  return reduce(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).addElements(el(5), el(6)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterWatermark({ early: afterCount(2) }), accumulation: "accumulating", allowedLateness: 0 },
    "values",
    (_o, info) => ({ timestamp: info.timestamp, window: [info.window.start, info.window.end], pane: paneOf(info) }),
    [
      { timestamp: 1, window: [1, 12], pane: pane(true, false, "early", 0, -1) },
      { timestamp: 5, window: [1, 16], pane: pane(true, false, "early", 0, -1) }, // the first pane took the holds of 1 and 2
      { timestamp: 15, window: [1, 16], pane: pane(false, true, "on_time", 1, 0) },
    ],
  );
}

// ReduceFnRunnerTest.testSessionEowAndGcTogether and testFixedWindowsEowAndGcTogether
function eowAndGcTogether(fn: WindowFnSpec, window: [number, number]): () => Pipeline {
  return () =>
    reduce(
      testStream<Row>().advanceWatermarkTo(0).addElements(el(1)).advanceWatermarkTo(100),
      fn,
      { accumulation: "accumulating", allowedLateness: 50, closingBehavior: "fireAlways" },
      "values",
      (_o, info) => ({ timestamp: info.timestamp, window: [info.window.start, info.window.end], pane: paneOf(info) }),
      [{ timestamp: 1, window, pane: pane(true, true, "on_time", 0, 0) }],
    );
}

// ReduceFnRunnerTest.fireNonEmptyOnDrainInGlobalWindow
function fireNonEmptyOnDrainInGlobalWindow(): Pipeline {
  let stream = testStream<Row>().advanceWatermarkTo(0);
  for (let i = 0; i < 20; i++) stream = stream.addElements(el(i));
  return reduce(
    stream,
    globalWindows(),
    { trigger: repeatedly(afterCount(3)), accumulation: "discarding" },
    "values",
    (o, info) => ({ timing: info.pane.timing, index: info.pane.index, nonSpeculativeIndex: info.pane.nonSpeculativeIndex, size: valuesOf(o).length }),
    [
      ...Array.from({ length: 6 }, (_, index) => ({ timing: "early", index, nonSpeculativeIndex: -1, size: 3 })),
      { timing: "on_time", index: 6, nonSpeculativeIndex: 0, size: 2 },
    ],
  );
}

/** The scenarios, one per ReduceFnRunnerTest test (or pair of tests that differ in one option). */
export const REDUCE_FN_RUNNER: readonly SemanticsScenario[] = [
  { name: "the default trigger gives one on-time pane, then late panes", beam: "ReduceFnRunnerTest.testOnlyOneOnTimePane", build: onlyOneOnTimePane },
  { name: "an empty on-time pane and an empty final pane (closing behaviour fireAlways)", beam: "ReduceFnRunnerTest.testPaneInfoAllStatesAfterWatermark", build: paneInfoAllStatesAfterWatermark },
  { name: "closing behaviour fireIfNonEmpty: no empty final pane at window closing", beam: "ReduceFnRunnerTest.noEmptyPanesFinalIfNonEmpty", build: noEmptyPanesFinal("fireIfNonEmpty", 2) },
  { name: "closing behaviour fireAlways: a final pane at window closing", beam: "ReduceFnRunnerTest.noEmptyPanesFinalAlways", build: noEmptyPanesFinal("fireAlways", 3) },
  { name: "an or-finally closed by the watermark ends with a final on-time pane", beam: "ReduceFnRunnerTest.testPaneInfoFinalAndOnTime", build: paneInfoFinalAndOnTime },
  { name: "on-time behaviour fireAlways: the empty on-time pane fires", beam: "ReduceFnRunnerTest.testEmptyOnTimeFromOrFinally", build: emptyOnTime("fireAlways") },
  { name: "on-time behaviour fireIfNonEmpty: no empty on-time pane, the window closes with a late final pane", beam: "ReduceFnRunnerTest.testEmptyOnTimeWithOnTimeBehaviorFireIfNonEmpty", build: emptyOnTime("fireIfNonEmpty") },
  { name: "elements behind the output watermark hold nothing and set no earliest timestamp", beam: "ReduceFnRunnerTest.testWatermarkHoldAndLateData", build: watermarkHoldAndLateData },
  { name: "sessions merge before their pane fires: one on-time pane of the merged window", beam: "ReduceFnRunnerTest.testMergeBeforeFinalizing", build: mergeBeforeFinalizing },
  { name: "a closed session takes no part in merging and does not poison the session that overlaps it", beam: "ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison", build: mergingWithClosedDoesNotPoison },
  { name: "an element whose session is exactly a closed session is dropped", beam: "ReduceFnRunnerTest.testMergingWithReusedWindow", build: mergingWithReusedWindow },
  { name: "a session that grows starts its panes fresh", beam: "ReduceFnRunner: pane state per merged window", build: growingSession },
  { name: "sessions: end of window and expiry in one watermark step give one final on-time pane", beam: "ReduceFnRunnerTest.testSessionEowAndGcTogether", build: eowAndGcTogether(sessions(10), [1, 11]) },
  { name: "fixed windows: end of window and expiry in one watermark step give one final on-time pane", beam: "ReduceFnRunnerTest.testFixedWindowsEowAndGcTogether", build: eowAndGcTogether(fixedWindows(10), [0, 10]) },
  { name: "the global window fires its remainder on time when the watermark reaches the end", beam: "ReduceFnRunnerTest.fireNonEmptyOnDrainInGlobalWindow", build: fireNonEmptyOnDrainInGlobalWindow },
];
