/**
 * Assertions at parity with Beam's PAssert (sdks/java/core/src/test/java/org/apache/beam/sdk/testing/PAssert.java
 * and PAssertTest.java): the pane narrowings Beam names (inCombinedNonLatePanes,
 * inEarlyGlobalWindowPanes, inEarlyPane, inLatePane), satisfies seeing each row's window and pane,
 * and the singleton and map views (thatSingleton, thatMap, thatMultimap). Each check is shown to
 * pass on the right expectation and to fail on a wrong one.
 */
import {
  afterCount,
  afterWatermark,
  AssertionFailedError,
  assertThat,
  create,
  fixedWindows,
  globalWindows,
  groupByKey,
  intervalWindow,
  map,
  Pipeline,
  runPipeline,
  testStream,
  thatMap,
  thatMultimap,
  thatSingleton,
  timestamped,
  windowInto,
  type PCollection,
} from "beamline";

async function failures(p: Pipeline): Promise<string[]> {
  const e = await runPipeline(p).then(() => null, (x: unknown) => x);
  if (!(e instanceof AssertionFailedError)) throw new Error(`expected an AssertionFailedError, got ${String(e)}`);
  return e.failures.map((f) => f.description);
}

/** Early, on-time and late panes of window [0, 1000): Beam's TestStreamTest.testDiscardingMode with a late firing per element. */
function panes(p: Pipeline): PCollection<string> {
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

const W = intervalWindow(0, 1000);

// PAssert.inCombinedNonLatePanes, inEarlyPane, inLatePane (TestStreamTest.testDiscardingMode uses the first).
test("pane narrowings: combined non-late panes, early pane, late pane", async () => {
  const p = new Pipeline();
  const out = panes(p);
  assertThat(out).inCombinedNonLatePanes(W).containsInAnyOrder(["e1+e2", "on"]);
  assertThat(out).inEarlyPane(W).containsInAnyOrder(["e1+e2"]);
  assertThat(out).inLatePane(W).containsInAnyOrder(["late"]);
  await runPipeline(p);
  const wrong = new Pipeline();
  assertThat(panes(wrong)).inCombinedNonLatePanes(W).containsInAnyOrder(["e1+e2", "on", "late"]);
  expect(await failures(wrong)).toEqual([expect.stringContaining("in the combined non-late panes of window")]);
});

// PAssert.inEarlyGlobalWindowPanes: early panes of the global window only, not the pane at its end.
test("inEarlyGlobalWindowPanes: what fired before the global window closed", async () => {
  const p = new Pipeline();
  const sums = p
    .apply(testStream<number>().addElements(1, 2).addElements(3).advanceWatermarkToInfinity())
    .apply(windowInto(globalWindows(), { trigger: afterWatermark({ early: afterCount(2) }), accumulation: "accumulating" }))
    .apply(map((v: number) => ({ key: "k", value: v })))
    .apply(groupByKey<string, number>())
    .apply(map((g: { values: number[] }) => g.values.length));
  assertThat(sums).inEarlyGlobalWindowPanes().containsInAnyOrder([2]);
  assertThat(sums).inOnTimePane().containsInAnyOrder([3]);
  await runPipeline(p);
});

test("satisfies sees each row's window and pane", async () => {
  const p = new Pipeline();
  assertThat(panes(p))
    .inWindow(W)
    .satisfies((rows, elements) => {
      expect(elements.map((e) => e.value)).toEqual(rows);
      expect(elements.map((e) => `${e.value} ${e.pane.timing} ${e.pane.index} ${e.window.start}-${e.window.end}`).sort()).toEqual(["e1+e2 early 0 0-1000", "late late 2 0-1000", "on on_time 1 0-1000"]);
    });
  await runPipeline(p);
});

// PAssertTest.testIsEqualTo, testWindowedIsEqualTo, testNotEqualTo, testPAssertEqualsSingletonFalse
test("thatSingleton: isEqualTo, notEqualTo and satisfies on the one row; more than one row fails", async () => {
  const p = new Pipeline();
  const one = p.apply("One", create([43]));
  thatSingleton(one).isEqualTo(43).notEqualTo(42).satisfies((v) => v > 40);
  thatSingleton(panes(p)).inOnTimePane(W).isEqualTo("on");
  await runPipeline(p);
  const wrong = new Pipeline();
  thatSingleton(wrong.apply("Two", create([1, 2]))).isEqualTo(1);
  thatSingleton(wrong.apply("Other", create([5]))).isEqualTo(6);
  expect(await failures(wrong)).toEqual([expect.stringContaining("thatSingleton: isEqualTo(1)"), expect.stringContaining("thatSingleton: isEqualTo(6)")]);
});

// PAssert.thatMap (LeaderBoardTest.testTeamScoresObservablyLate uses it) and thatMultimap
test("thatMap and thatMultimap: the rows as a map (distinct keys) or a multimap", async () => {
  const p = new Pipeline();
  const kvs = p.apply(create([{ key: "a", value: 1 }, { key: "b", value: 2 }]));
  thatMap(kvs).isEqualTo({ b: 2, a: 1 });
  thatMap(kvs).isEqualTo(new Map([["a", 1], ["b", 2]]));
  const multi = p.apply("Multi", create([{ key: "a", value: 1 }, { key: "a", value: 3 }, { key: "b", value: 2 }]));
  thatMultimap(multi).isEqualTo(new Map([["a", [3, 1]], ["b", [2]]]));
  await runPipeline(p);
  const wrong = new Pipeline();
  thatMap(wrong.apply(create([{ key: "a", value: 1 }, { key: "a", value: 2 }]))).isEqualTo({ a: 1 });
  thatMap(wrong.apply("Other", create([{ key: "a", value: 1 }]))).isEqualTo({ a: 2 });
  const descriptions = await failures(wrong);
  expect(descriptions).toEqual([expect.stringContaining("thatMap: isEqualTo"), expect.stringContaining("thatMap: isEqualTo")]);
});
