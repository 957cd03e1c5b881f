/**
 * Assertions at parity with Beam's PAssert (sdks/java/core/src/test/java/org/apache/beam/sdk/testing/PAssert.java
 * and PAssertTest.java) as pipelines: the pane narrowings Beam names (inCombinedNonLatePanes,
 * inEarlyGlobalWindowPanes, inEarlyPane, inLatePane), satisfies seeing each row's window and pane,
 * and the singleton and map views (thatSingleton, thatMap, thatMultimap), each on the right expectation.
 */
import {
  afterCount,
  afterWatermark,
  assertThat,
  create,
  fixedWindows,
  globalWindows,
  groupByKey,
  intervalWindow,
  map,
  Pipeline,
  testStream,
  thatMap,
  thatMultimap,
  thatSingleton,
  timestamped,
  windowInto,
  type PCollection,
} from "beamline";
import type { SemanticsScenario } from "./scenario";

/** Early, on-time and late panes of window [0, 1000): Beam's TestStreamTest.testDiscardingMode with a late firing per element. */
export function discardingPanes(p: Pipeline): PCollection<string> {
  return p
    .apply(
      testStream<string>()
        .advanceWatermarkTo(0)
        .addElements(timestamped("e1", 100), timestamped("e2", 200))
        .addElements(timestamped("on", 500))
        .advanceWatermarkTo(1000)
        .addElements(timestamped("late", 750))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(fixedWindows(1000), { trigger: afterWatermark({ early: afterCount(2), late: afterCount(1) }), accumulation: "discarding", allowedLateness: 5000 }))
    .apply(map((v: string) => ({ key: 1, value: v })))
    .apply(groupByKey<number, string>())
    .apply(map((g: { values: string[] }) => [...g.values].sort().join("+")));
}

/** The window of {@link discardingPanes}. */
export const W = intervalWindow(0, 1000);

// PAssert.inCombinedNonLatePanes, inEarlyPane, inLatePane (TestStreamTest.testDiscardingMode uses the first).
function paneNarrowings(): Pipeline {
  const p = new Pipeline();
  const out = discardingPanes(p);
  assertThat(out).inCombinedNonLatePanes(W).containsInAnyOrder(["e1+e2", "on"]);
  assertThat(out).inEarlyPane(W).containsInAnyOrder(["e1+e2"]);
  assertThat(out).inLatePane(W).containsInAnyOrder(["late"]);
  return p;
}

// PAssert.inEarlyGlobalWindowPanes: early panes of the global window only, not the pane at its end.
function earlyGlobalWindowPanes(): Pipeline {
  const p = new Pipeline();
  const sums = p
    .apply(testStream<number>().addElements(1, 2).addElements(3).advanceWatermarkToInfinity())
    .apply(windowInto(globalWindows(), { trigger: afterWatermark({ early: afterCount(2) }), accumulation: "accumulating" }))
    .apply(map((v: number) => ({ key: "k", value: v })))
    .apply(groupByKey<string, number>())
    .apply(map((g: { values: number[] }) => g.values.length));
  assertThat(sums).inEarlyGlobalWindowPanes().containsInAnyOrder([2]);
  assertThat(sums).inOnTimePane().containsInAnyOrder([3]);
  return p;
}

function satisfiesSeesWindowAndPane(): Pipeline {
  const p = new Pipeline();
  assertThat(discardingPanes(p))
    .inWindow(W)
    .satisfies((rows, elements) => {
      expect(elements.map((e) => e.value)).toEqual(rows);
      expect(elements.map((e) => `${e.value} ${e.pane.timing} ${e.pane.index} ${e.window.start}-${e.window.end}`).sort()).toEqual(["e1+e2 early 0 0-1000", "late late 2 0-1000", "on on_time 1 0-1000"]);
    });
  return p;
}

// PAssertTest.testIsEqualTo, testWindowedIsEqualTo, testNotEqualTo
function singleton(): Pipeline {
  const p = new Pipeline();
  const one = p.apply("One", create([43]));
  thatSingleton(one).isEqualTo(43).notEqualTo(42).satisfies((v) => v > 40);
  thatSingleton(discardingPanes(p)).inOnTimePane(W).isEqualTo("on");
  return p;
}

// PAssert.thatMap (LeaderBoardTest.testTeamScoresObservablyLate uses it) and thatMultimap
function mapViews(): Pipeline {
  const p = new Pipeline();
  const kvs = p.apply(create([{ key: "a", value: 1 }, { key: "b", value: 2 }]));
  thatMap(kvs).isEqualTo({ b: 2, a: 1 });
  thatMap(kvs).isEqualTo(new Map([["a", 1], ["b", 2]]));
  const multi = p.apply("Multi", create([{ key: "a", value: 1 }, { key: "a", value: 3 }, { key: "b", value: 2 }]));
  thatMultimap(multi).isEqualTo(new Map([["a", [3, 1]], ["b", [2]]]));
  return p;
}

/** The scenarios, each holding its assertions on the right expectation. */
export const PASSERT_VIEWS: readonly SemanticsScenario[] = [
  { name: "pane narrowings: combined non-late panes, early pane, late pane", beam: "PAssert.inCombinedNonLatePanes, inEarlyPane, inLatePane", build: paneNarrowings },
  { name: "inEarlyGlobalWindowPanes: what fired before the global window closed", beam: "PAssert.inEarlyGlobalWindowPanes", build: earlyGlobalWindowPanes },
  { name: "satisfies sees each row's window and pane", beam: "PAssert.satisfies", build: satisfiesSeesWindowAndPane },
  { name: "thatSingleton: isEqualTo, notEqualTo and satisfies on the one row", beam: "PAssertTest.testIsEqualTo, testWindowedIsEqualTo, testNotEqualTo", build: singleton },
  { name: "thatMap and thatMultimap: the rows as a map (distinct keys) or a multimap", beam: "PAssert.thatMap, thatMultimap", build: mapViews },
];
