/**
 * Beam Java's TestStreamTest (sdks/java/core/src/test/java/org/apache/beam/sdk/testing/TestStreamTest.java)
 * as pipelines with Beam's expected values, one per Java test that runs a pipeline.
 */
import {
  afterCount,
  afterProcessingTime,
  afterWatermark,
  assertThat,
  combineGlobally,
  combinePerKey,
  count,
  fixedWindows,
  flatten,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  globalWindows,
  groupByKey,
  intervalWindow,
  map,
  never,
  parDo,
  Pipeline,
  state,
  sum,
  testStream,
  timer,
  timestamped,
  windowInto,
  type PCollection,
} from "beamline";
import type { SemanticsScenario } from "./scenario";

const MINUTE = 60_000;

/** Java's `WithKeys.of(1)`, `GroupByKey`, `Values`, `Flatten.iterables()`: the values of each pane, one per row. */
function regrouped<T>(pc: PCollection<T>): PCollection<T> {
  return pc
    .apply("WithKeys", map((v: T) => ({ key: 1, value: v })))
    .apply("GroupByKey", groupByKey<number, T>())
    .apply("Values", parDo({ process: (g: { values: T[] }, ctx) => g.values.forEach((v) => ctx.output(v)) }));
}

/** Java's `Sum.longsPerKey()`. */
function combinePerKeySum() {
  return combinePerKey<string, number, number>(sum());
}

// TestStreamTest.testLateDataAccumulating, with its final-pane assertion under ClosingBehavior.FIRE_ALWAYS:
// the window's expiry fires a final pane though no element came since the late pane.
function lateDataAccumulating(): Pipeline {
  const source = testStream<number>()
    .addElements(timestamped(1, 0), timestamped(2, 0), timestamped(3, 0))
    .advanceWatermarkTo(6 * MINUTE)
    // late but within the allowed lateness
    .addElements(timestamped(4, 0), timestamped(5, 0))
    .advanceWatermarkTo(20 * MINUTE)
    // droppably late
    .addElements(timestamped(-1, 0), timestamped(-2, 0), timestamped(-3, 0))
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const windowed = p.apply(source).apply(
    windowInto(fixedWindows(5 * MINUTE), {
      trigger: afterWatermark({ early: afterProcessingTime("2m"), late: afterCount(1) }),
      accumulation: "accumulating",
      allowedLateness: 5 * MINUTE,
      closingBehavior: "fireAlways",
    }),
  );
  const triggered = regrouped(windowed);
  const counted = windowed.apply("Count", combineGlobally<number, number>(count()));
  const summed = windowed.apply("Sum", combineGlobally<number, number>(sum()));
  const window = intervalWindow(0, 5 * MINUTE);
  assertThat(triggered).inOnTimePane(window).containsInAnyOrder([1, 2, 3]);
  assertThat(triggered).inFinalPane(window).containsInAnyOrder([1, 2, 3, 4, 5]);
  assertThat(counted).inWindow(window).satisfies((rows) => rows.every((n) => n >= 3 && n <= 5));
  assertThat(summed).inWindow(window).satisfies((rows) => rows.every((n) => n >= 6 && n <= 15));
  return p;
}

function processingTimeTrigger(): Pipeline {
  const source = testStream<number>()
    .addElements(timestamped(1, 1000), timestamped(2, 2000))
    .advanceProcessingTime("12m")
    .addElements(timestamped(3, 3000))
    .advanceProcessingTime("6m")
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const total = p
    .apply(source)
    .apply(windowInto(globalWindows(), { trigger: afterWatermark({ early: afterProcessingTime("5m") }), accumulation: "accumulating", allowedLateness: 0 }))
    .apply(combineGlobally<number, number>(sum()));
  assertThat(total).inEarlyGlobalWindowPanes().containsInAnyOrder([3, 6]);
  return p;
}

function discardingMode(): Pipeline {
  const stream = testStream<string>()
    .advanceWatermarkTo(0)
    .addElements(timestamped("firstPane", 100), timestamped("alsoFirstPane", 200))
    .addElements(timestamped("onTimePane", 500))
    .advanceWatermarkTo(1000)
    .addElements(timestamped("finalLatePane", 750), timestamped("alsoFinalLatePane", 250))
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const values = regrouped(
    p.apply(stream).apply(
      windowInto(fixedWindows(1000), {
        trigger: afterWatermark({ early: afterCount(2), late: never() }),
        accumulation: "discarding",
        allowedLateness: 5000,
      }),
    ),
  );
  const window = intervalWindow(0, 1000);
  assertThat(values).inWindow(window).containsInAnyOrder(["firstPane", "alsoFirstPane", "onTimePane", "finalLatePane", "alsoFinalLatePane"]);
  assertThat(values).inCombinedNonLatePanes(window).containsInAnyOrder(["firstPane", "alsoFirstPane", "onTimePane"]);
  assertThat(values).inOnTimePane(window).containsInAnyOrder(["onTimePane"]);
  assertThat(values).inFinalPane(window).containsInAnyOrder(["finalLatePane", "alsoFinalLatePane"]);
  return p;
}

function firstElementLate(): Pipeline {
  const late = -1_000_000;
  const stream = testStream<string>().advanceWatermarkTo(0).addElements(timestamped("late", late)).addElements(timestamped("onTime", 100)).advanceWatermarkToInfinity();
  const p = new Pipeline();
  const values = regrouped(p.apply(stream).apply(windowInto(fixedWindows(1000), { accumulation: "discarding", allowedLateness: 5000 })));
  assertThat(values).inWindow(intervalWindow(late, late + 1000)).empty();
  assertThat(values).inWindow(intervalWindow(0, 1000)).containsInAnyOrder(["onTime"]);
  return p;
}

function elementsAtAlmostPositiveInfinity(): Pipeline {
  const end = GLOBAL_WINDOW_MAX_TIMESTAMP;
  const stream = testStream<string>().addElements(timestamped("foo", end), timestamped("bar", end)).advanceWatermarkToInfinity();
  const p = new Pipeline();
  const size = 6 * 60 * MINUTE;
  const values = regrouped(p.apply(stream).apply(windowInto(fixedWindows(size))));
  // Beam's FixedWindows.assignWindow: the window of `end` starts at a multiple of the size and is cut at the end of the global window.
  const start = end - (end % size);
  assertThat(values).inWindow(intervalWindow(start, Math.min(start + size, end + 1))).containsInAnyOrder(["foo", "bar"]);
  return p;
}

function multipleStreams(): Pipeline {
  const stream = testStream<string>().addElements("foo", "bar").advanceWatermarkToInfinity();
  const other = testStream<number>().addElements(1, 2, 3, 4).advanceWatermarkToInfinity();
  const p = new Pipeline();
  const strings = p.apply("CreateStrings", stream).apply("WindowStrings", windowInto(globalWindows(), { trigger: afterCount(2), allowedLateness: 0, accumulation: "accumulating" }));
  assertThat(strings).containsInAnyOrder(["foo", "bar"]);
  const ints = p.apply("CreateInts", other).apply("WindowInts", windowInto(globalWindows(), { trigger: afterCount(4), allowedLateness: 0, accumulation: "accumulating" }));
  assertThat(ints).containsInAnyOrder([1, 2, 3, 4]);
  return p;
}

function earlyPanesOfWindow(): Pipeline {
  const source = testStream<number>()
    .addElements(timestamped(1, 1000))
    .advanceProcessingTime("6m")
    .addElements(timestamped(2, 2000))
    .advanceProcessingTime("6m")
    .addElements(timestamped(3, 3000))
    .advanceProcessingTime("6m")
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const sums = p
    .apply(source)
    .apply(windowInto(fixedWindows(30 * MINUTE), { trigger: afterWatermark({ early: afterProcessingTime("5m") }), accumulation: "accumulating", allowedLateness: 0 }))
    .apply(map((v: number) => ({ key: "key", value: v })))
    .apply(combinePerKeySum());
  const window = intervalWindow(0, 30 * MINUTE);
  assertThat(sums)
    .inEarlyPane(window)
    .satisfies((rows) => rows.length === 3)
    .containsInAnyOrder([
      { key: "key", value: 1 },
      { key: "key", value: 3 },
      { key: "key", value: 6 },
    ])
    .inOnTimePane(window)
    .satisfies((rows) => rows.length === 1)
    .containsInAnyOrder([{ key: "key", value: 6 }]);
  return p;
}

function multiStage(): Pipeline {
  const source = testStream<string>()
    .addElements("before")
    .advanceWatermarkTo(0)
    .addElements(timestamped("after", 10_000))
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const input = p.apply(source);
  const grouped = input
    .apply(windowInto(fixedWindows(1000)))
    .apply(map((e: string) => ({ key: e, value: e })))
    .apply(groupByKey<string, string>())
    .apply("Keys", map((g: { key: string }) => g.key))
    .apply("Upper", map((s: string) => s.toUpperCase()))
    .apply("Rewindow", windowInto(globalWindows()));
  const result = flatten([input, grouped])
    .apply("Key", map((e: string) => ({ key: "key", value: e })))
    .apply(
      parDo({
        state: { seen: state.value<string>() },
        timers: { emit: timer.eventTime() },
        process(row: { key: string; value: string }, ctx) {
          const seen = ctx.state.seen.read();
          ctx.state.seen.write(seen === undefined || seen === null ? row.value : `${seen},${row.value}`);
          ctx.timers.emit.set(100_000);
        },
        onTimer(_name, ctx) {
          ctx.output(ctx.state.seen.read() ?? "");
        },
      }),
    );
  assertThat(result).containsInAnyOrder(["before,BEFORE,after,AFTER"]);
  return p;
}

/** The scenarios that hold on the direct runner. */
export const TESTSTREAM_JAVA: readonly SemanticsScenario[] = [
  {
    name: "late data accumulating: the on-time pane, late but allowed elements refining it, droppably late ones dropped, and every allowed element in the final pane at the window's expiry (FIRE_ALWAYS)",
    beam: "TestStreamTest.testLateDataAccumulating",
    build: lateDataAccumulating,
  },
  { name: "processing-time trigger: early panes of the global window as processing time passes", beam: "TestStreamTest.testProcessingTimeTrigger", build: processingTimeTrigger },
  { name: "discarding mode: an early pane, the on-time pane, and the late data in the final pane at the window's expiry", beam: "TestStreamTest.testDiscardingMode", build: discardingMode },
  { name: "first element late: an element behind the watermark past its window's lateness is dropped", beam: "TestStreamTest.testFirstElementLate", build: firstElementLate },
  {
    name: "elements at almost positive infinity: in the last fixed window, which ends with the global window",
    beam: "TestStreamTest.testElementsAtAlmostPositiveInfinity",
    build: elementsAtAlmostPositiveInfinity,
  },
  { name: "multiple streams: two TestStreams in one pipeline, each windowed with its own trigger", beam: "TestStreamTest.testMultipleStreams", build: multipleStreams },
  { name: "early panes of a window: three early panes as processing time passes, then the on-time pane", beam: "TestStreamTest.testEarlyPanesOfWindow", build: earlyPanesOfWindow },
  { name: "multi-stage: raw and grouped elements meet in a stateful DoFn whose timer fires after both stages' data", beam: "TestStreamTest.testMultiStage", build: multiStage },
];

