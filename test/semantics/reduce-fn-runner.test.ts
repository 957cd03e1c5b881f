/**
 * Beam's Java ReduceFnRunnerTest (runners/core-java/src/test/java/org/apache/beam/runners/core/
 * ReduceFnRunnerTest.java) re-expressed on the direct runner: each test drives a TestStream through
 * windowInto and a grouping, and checks the panes with Beam's expected values. Where Beam's test
 * uses a mocked trigger, the nearest real trigger stands in and the comment says so. Beam's
 * ReduceFnTester defaults to the EARLIEST timestamp combiner, so these tests pass it.
 */
import {
  afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, collect, combinePerKey, fixedWindows, globalWindows,
  groupByKey, orFinally, Pipeline, repeatedly, runPipeline, sessions, sum, testStream, timestamped, windowInto,
} from "beamline";
import type { CollectedElement, PCollection, TestStream, WindowIntoOptions, WindowFnSpec } from "beamline";

type Row = { key: string; value: number };
type Pane = [isFirst: boolean, isLast: boolean, timing: string, index: number, nonSpeculativeIndex: number];

const el = (v: number, t = v) => timestamped<Row>({ key: "k", value: v }, t);

/** Runs `stream` windowed by `fn` into a GroupByKey (or a sum per key) and returns the fired panes in order. */
async function panes<O>(
  stream: TestStream<Row>,
  fn: WindowFnSpec,
  options: WindowIntoOptions,
  aggregate: "values" | "sum" = "values",
): Promise<CollectedElement<O>[]> {
  const p = new Pipeline();
  const windowed = p.apply(stream).apply(windowInto<Row>(fn, { timestampCombiner: "earliest", ...options }));
  const out = aggregate === "sum" ? windowed.apply(combinePerKey<string, number, number>(sum())) : windowed.apply(groupByKey<string, number>());
  const got = collect(out as PCollection<unknown>);
  await runPipeline(p, { parallelism: 1 });
  return got.elements as CollectedElement<O>[];
}

const paneOf = (e: CollectedElement<unknown>): Pane => [e.pane.isFirst, e.pane.isLast, e.pane.timing, e.pane.index, e.pane.nonSpeculativeIndex];
const valuesOf = (e: CollectedElement<unknown>) => [...(e.value as { values: number[] }).values].sort((a, b) => a - b);
const summary = (e: CollectedElement<unknown>) => ({ timestamp: e.timestamp, window: [e.window.start, e.window.end], pane: paneOf(e) });

// ReduceFnRunnerTest.testOnlyOneOnTimePane
test("the default trigger gives one on-time pane, then late panes", async () => {
  const out = await panes<{ value: number }>(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1)).advanceWatermarkTo(10).addElements(el(3)),
    fixedWindows(10),
    { accumulation: "accumulating", allowedLateness: 100 },
    "sum",
  );
  expect(out.map((e) => e.value.value)).toEqual([1, 4]);
  expect(out.map(paneOf)).toEqual([
    [true, false, "on_time", 0, 0],
    [false, false, "late", 1, 1],
  ]);
});

// ReduceFnRunnerTest.testPaneInfoAllStatesAfterWatermark
test("an empty on-time pane and an empty final pane (closing behaviour fireAlways)", async () => {
  const out = await panes(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(50).advanceWatermarkTo(150),
    fixedWindows(10),
    { trigger: repeatedly(afterFirst(afterCount(2), afterWatermark())), accumulation: "discarding", allowedLateness: 100, closingBehavior: "fireAlways" },
  );
  expect(out.map(valuesOf)).toEqual([[1, 2], [], []]);
  expect(out.map(summary)).toEqual([
    { timestamp: 1, window: [0, 10], pane: [true, false, "early", 0, -1] },
    { timestamp: 9, window: [0, 10], pane: [false, false, "on_time", 1, 0] },
    { timestamp: 9, window: [0, 10], pane: [false, true, "late", 2, 1] },
  ]);
});

// ReduceFnRunnerTest.noEmptyPanesFinalIfNonEmpty and noEmptyPanesFinalAlways
test.each([
  ["fireIfNonEmpty", 2],
  ["fireAlways", 3],
] as const)("closing behaviour %s: the final pane at window closing", async (closingBehavior, count) => {
  const out = await panes(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(20).advanceWatermarkTo(250),
    fixedWindows(10),
    { trigger: repeatedly(afterFirst(afterCount(2), afterWatermark())), accumulation: "accumulating", allowedLateness: 100, closingBehavior },
  );
  expect(out.map((e) => [valuesOf(e), e.timestamp])).toEqual(
    [
      [[1, 2], 1],
      [[1, 2], 9],
      [[1, 2], 9],
    ].slice(0, count),
  );
});

// ReduceFnRunnerTest.testPaneInfoFinalAndOnTime
test("an or-finally closed by the watermark ends with a final on-time pane", async () => {
  const out = await panes(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).advanceWatermarkTo(150),
    fixedWindows(10),
    { trigger: orFinally(repeatedly(afterCount(2)), afterWatermark()), accumulation: "discarding", allowedLateness: 100, closingBehavior: "fireAlways" },
  );
  expect(out.map(paneOf)).toEqual([
    [true, false, "early", 0, -1],
    [false, true, "on_time", 1, 0],
  ]);
});

// ReduceFnRunnerTest.testEmptyOnTimeFromOrFinally (closing behaviour left at Beam's default) and
// testEmptyOnTimeWithOnTimeBehaviorFireIfNonEmpty (closing behaviour FIRE_ALWAYS)
test.each([
  [
    "fireAlways",
    undefined,
    [
      { timestamp: 1, window: [0, 10], pane: [true, false, "early", 0, -1] },
      { timestamp: 9, window: [0, 10], pane: [false, false, "on_time", 1, 0] },
    ],
  ],
  [
    "fireIfNonEmpty",
    "fireAlways",
    [
      { timestamp: 1, window: [0, 10], pane: [true, false, "early", 0, -1] },
      { timestamp: 9, window: [0, 10], pane: [false, true, "late", 1, 0] },
    ],
  ],
] as const)("on-time behaviour %s: the empty on-time pane", async (onTimeBehavior, closingBehavior, expected) => {
  const out = await panes<{ value: number }>(
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
      ...(closingBehavior ? { closingBehavior } : {}),
      onTimeBehavior,
    },
    "sum",
  );
  expect(out.map((e) => e.value.value)).toEqual([4, 4]);
  expect(out.map(summary)).toEqual(expected);
});

// ReduceFnRunnerTest.testWatermarkHoldAndLateData (its mocked trigger replaced by early firings after
// three elements and late firings after two; the output timestamps and panes are Beam's)
test("elements behind the output watermark hold nothing and set no earliest timestamp", async () => {
  const out = await panes(
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
  );
  expect(out.map(summary)).toEqual([
    { timestamp: 1, window: [0, 10], pane: [true, false, "early", 0, -1] },
    { timestamp: 4, window: [0, 10], pane: [false, false, "early", 1, -1] },
    { timestamp: 9, window: [0, 10], pane: [false, false, "on_time", 2, 0] },
    { timestamp: 9, window: [0, 10], pane: [false, true, "late", 3, 1] },
  ]);
  expect(valuesOf(out[3])).toEqual([1, 2, 2, 3, 3, 4, 5, 5, 6, 8]);
});

// ReduceFnRunnerTest.testMergeBeforeFinalizing
test("sessions merge before their pane fires: one on-time pane of the merged window", async () => {
  const out = await panes(testStream<Row>().addElements(el(1), el(10)).advanceWatermarkTo(100), sessions(10), { accumulation: "discarding" });
  expect(out.map(valuesOf)).toEqual([[1, 10]]);
  expect(out.map(summary)).toEqual([{ timestamp: 1, window: [1, 20], pane: [true, true, "on_time", 0, 0] }]);
});

// ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison (its mocked trigger, which fires once and
// finishes on the first element and then never fires, replaced by afterCount(1): the merged window's
// pane fires on its elements instead of at the watermark)
test("a closed session takes no part in merging and does not poison the session that overlaps it", async () => {
  const out = await panes(
    testStream<Row>().addElements(el(2)).addElements(el(1), el(2), el(3)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterCount(1), accumulation: "discarding", allowedLateness: 50 },
  );
  expect(out.map(valuesOf)).toEqual([[2], [1, 2, 3]]);
  expect(out.map(summary)).toEqual([
    { timestamp: 2, window: [2, 12], pane: [true, true, "early", 0, -1] },
    { timestamp: 1, window: [1, 13], pane: [true, true, "early", 0, -1] },
  ]);
});

// ReduceFnRunnerTest.testMergingWithReusedWindow (the mocked trigger that finishes at the end of the
// window is afterWatermark())
test("an element whose session is exactly a closed session is dropped", async () => {
  const out = await panes(
    testStream<Row>().addElements(el(1)).advanceWatermarkTo(15).addElements(el(1)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterWatermark(), accumulation: "discarding", allowedLateness: 50 },
  );
  expect(out.map(valuesOf)).toEqual([[1]]);
  expect(out.map(summary)).toEqual([{ timestamp: 1, window: [1, 11], pane: [true, true, "on_time", 0, 0] }]);
});

// Beam's ReduceFnRunner keeps pane state per window: a session that grows is a new window whose
// panes start at index 0 (see trigger-transcripts.yaml, early_late_sessions, for Python's differing
// driver).
test("a session that grows starts its panes fresh", async () => {
  const out = await panes(
    testStream<Row>().advanceWatermarkTo(0).addElements(el(1), el(2)).addElements(el(5), el(6)).advanceWatermarkTo(100),
    sessions(10),
    { trigger: afterWatermark({ early: afterCount(2) }), accumulation: "accumulating", allowedLateness: 0 },
  );
  expect(out.map(summary)).toEqual([
    { timestamp: 1, window: [1, 12], pane: [true, false, "early", 0, -1] },
    { timestamp: 5, window: [1, 16], pane: [true, false, "early", 0, -1] }, // the first pane took the holds of 1 and 2
    { timestamp: 15, window: [1, 16], pane: [false, true, "on_time", 1, 0] },
  ]);
});

// ReduceFnRunnerTest.testSessionEowAndGcTogether and testFixedWindowsEowAndGcTogether
test.each([
  ["sessions", sessions(10), [1, 11]],
  ["fixed windows", fixedWindows(10), [0, 10]],
] as const)("%s: end of window and expiry in one watermark step give one final on-time pane", async (_name, fn, window) => {
  const out = await panes(testStream<Row>().advanceWatermarkTo(0).addElements(el(1)).advanceWatermarkTo(100), fn, {
    accumulation: "accumulating",
    allowedLateness: 50,
    closingBehavior: "fireAlways",
  });
  expect(out.map(summary)).toEqual([{ timestamp: 1, window, pane: [true, true, "on_time", 0, 0] }]);
});

// ReduceFnRunnerTest.fireNonEmptyOnDrainInGlobalWindow
test("the global window fires its remainder on time when the watermark reaches the end", async () => {
  let stream = testStream<Row>().advanceWatermarkTo(0);
  for (let i = 0; i < 20; i++) stream = stream.addElements(el(i));
  const out = await panes(stream, globalWindows(), { trigger: repeatedly(afterCount(3)), accumulation: "discarding" });
  expect(out.map((e) => [e.pane.timing, e.pane.index, valuesOf(e).length])).toEqual([
    ...Array.from({ length: 6 }, (_, i) => ["early", i, 3]),
    ["on_time", 6, 2],
  ]);
  expect(out[6].pane.nonSpeculativeIndex).toBe(0);
});
