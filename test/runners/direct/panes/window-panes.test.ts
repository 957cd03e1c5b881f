/**
 * The pane engine when every live group expires at once (all freed together) and new groups then
 * take their ids again: each window's pane holds its own rows only.
 */
import { assertThat, combinePerKey, fixedWindows, groupByKey, intervalWindow, Pipeline, runPipeline, sum, testStream, timestamped, windowInto } from "beamline";

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
