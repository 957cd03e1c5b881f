/**
 * The pane engine when every live group expires at once (all freed together) and new groups then
 * take their ids again: each window's pane holds its own rows only.
 */
import { assertThat, combinePerKey, DirectRunner, fixedWindows, groupByKey, intervalWindow, Pipeline, runPipeline, sum, testStream, timestamped, windowInto } from "beamline";

const S = 1000;

test("windows that all expire together free their groups, and later windows start empty", async () => {
  const p = new Pipeline();
  const events = p.apply(
    testStream<{ key: string; value: number }>()
      .addElements(timestamped({ key: "a", value: 1 }, 1 * S), timestamped({ key: "b", value: 2 }, 2 * S), timestamped({ key: "a", value: 3 }, 3 * S))
      .advanceWatermarkTo(20 * S) // every window ends (no allowed lateness): all groups expire at once
      .addElements(timestamped({ key: "b", value: 10 }, 21 * S), timestamped({ key: "c", value: 20 }, 22 * S))
      .addElements(timestamped({ key: "a", value: 100 }, 5 * S)) // late: dropped
      .advanceWatermarkTo(40 * S)
      .addElements(timestamped({ key: "a", value: 1000 }, 41 * S))
      .advanceWatermarkToInfinity(),
  );
  const windowed = events.apply(windowInto(fixedWindows(10 * S)));
  const sums = windowed.apply(combinePerKey(sum()));
  assertThat(sums).inWindow(intervalWindow(0, 10 * S)).containsInAnyOrder([{ key: "a", value: 4 }, { key: "b", value: 2 }]);
  assertThat(sums).inWindow(intervalWindow(20 * S, 30 * S)).containsInAnyOrder([{ key: "b", value: 10 }, { key: "c", value: 20 }]);
  assertThat(sums).inWindow(intervalWindow(40 * S, 50 * S)).containsInAnyOrder([{ key: "a", value: 1000 }]);
  const groups = windowed.apply(groupByKey<string, number>());
  assertThat(groups).inWindow(intervalWindow(20 * S, 30 * S)).containsInAnyOrder([{ key: "b", values: [10] }, { key: "c", values: [20] }]);
  await runPipeline(p);
});

test("hundreds of groups firing at once go out a batch at a time, each pane exact, held data kept for later panes", async () => {
  // 250 keys in each of two windows; the watermark passes both at once (500 groups fire together,
  // five batches of 100). Accumulating with allowed lateness: the on-time panes keep their data, a
  // late element per key fires late panes that add to it; a third window reuses freed groups.
  const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
  const p = new Pipeline();
  const events = p.apply(
    testStream<{ key: string; value: number }>()
      .addElements(...keys.map((key, i) => timestamped({ key, value: i }, 1 * S)), ...keys.map((key) => timestamped({ key, value: 1 }, 12 * S)))
      .advanceWatermarkTo(25 * S)
      .addElements(...keys.map((key) => timestamped({ key, value: 1000 }, 2 * S)))
      .advanceWatermarkTo(100 * S)
      .addElements(...keys.map((key, i) => timestamped({ key, value: 2 * i }, 101 * S)))
      .advanceWatermarkToInfinity(),
  );
  const sums = events.apply(windowInto(fixedWindows(10 * S), { allowedLateness: 30 * S, accumulation: "accumulating" })).apply(combinePerKey(sum()));
  assertThat(sums).inOnTimePane(intervalWindow(0, 10 * S)).containsInAnyOrder(keys.map((key, i) => ({ key, value: i })));
  assertThat(sums).inLatePanes(intervalWindow(0, 10 * S)).containsInAnyOrder(keys.map((key, i) => ({ key, value: i + 1000 })));
  assertThat(sums).inOnTimePane(intervalWindow(10 * S, 20 * S)).containsInAnyOrder(keys.map((key) => ({ key, value: 1 })));
  assertThat(sums).inWindow(intervalWindow(100 * S, 110 * S)).containsInAnyOrder(keys.map((key, i) => ({ key, value: 2 * i })));
  await new DirectRunner({ batchSize: 100 }).run(p);
});
