/**
 * Python Beam's TestStream group-by-key scenarios (seconds there, ms here), plus sessions, sliding
 * windows and the late-data counters.
 */
import {
  afterCount,
  afterProcessingTime,
  afterWatermark,
  assertThat,
  collect,
  combinePerKey,
  customWindows,
  fixedWindows,
  groupByKey,
  intervalWindow,
  map,
  Pipeline,
  runPipeline,
  separateLateData,
  sessions,
  slidingWindows,
  sum,
  testStream,
  timestamped,
  windowInto,
} from "beamline";

const S = 1000;
const kvOf = (x: string) => ({ key: "k", value: x });
const grouped = (values: string[]) => ({ key: "k", values });

test("default trigger with allowed lateness: on-time panes, a late pane, a window of late data", async () => {
  const p = new Pipeline();
  const out = p
    .apply(
      testStream<string>()
        .advanceWatermarkTo(10 * S)
        .addElements("a", "b", "c")
        .advanceWatermarkTo(20 * S)
        .addElements("d")
        .addElements("e")
        .advanceProcessingTime(10 * S)
        .advanceWatermarkTo(300 * S)
        .addElements(timestamped("late", 12 * S))
        .addElements(timestamped("last", 310 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(fixedWindows(15 * S), { allowedLateness: 300 * S }))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  assertThat(out).inWindow(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a", "b", "c"]), grouped(["late"])]);
  assertThat(out).inOnTimePane(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a", "b", "c"])]);
  assertThat(out).inLatePanes(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["late"])]);
  assertThat(out).inWindow(intervalWindow(15 * S, 30 * S)).containsInAnyOrder([grouped(["d", "e"])]);
  assertThat(out).inWindow(intervalWindow(300 * S, 315 * S)).containsInAnyOrder([grouped(["last"])]);
  await runPipeline(p);
});

test("after-watermark with an early after-count(1), discarding: early pane, then the empty on-time pane", async () => {
  const p = new Pipeline();
  const out = p
    .apply(
      testStream<string>()
        .advanceWatermarkTo(10 * S)
        .addElements(timestamped("a", 11 * S))
        .advanceWatermarkTo(20 * S)
        .addElements(timestamped("b", 21 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(fixedWindows(15 * S), { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "discarding" }))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  const c = collect(out);
  for (const [start, v] of [[0, "a"], [15 * S, "b"]] as const) {
    const w = intervalWindow(start, start + 15 * S);
    assertThat(out).inWindow(w).containsInAnyOrder([grouped([v]), grouped([])]);
    assertThat(out).inEarlyPanes(w).containsInAnyOrder([grouped([v])]);
    assertThat(out).inOnTimePane(w).containsInAnyOrder([grouped([])]);
  }
  await runPipeline(p);
  // The empty on-time pane is the last pane of each window, with index 1.
  const onTime = c.elements.filter((e) => e.pane.timing === "on_time");
  expect(onTime.map((e) => [e.pane.index, e.pane.isFirst, e.pane.isLast])).toEqual([
    [1, false, true],
    [1, false, true],
  ]);
});

test("after-processing-time fires once the simulated clock passes the delay; the pipeline still finishes", async () => {
  const p = new Pipeline();
  const out = p
    .apply(testStream<string>().advanceWatermarkTo(10 * S).addElements("a").advanceProcessingTime(5.1 * S).advanceWatermarkToInfinity())
    .apply(windowInto(fixedWindows(15 * S), { trigger: afterProcessingTime(5 * S), accumulation: "discarding" }))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  assertThat(out).inWindow(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a"])]);
  assertThat(out).inEarlyPanes(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a"])]);
  await runPipeline(p);
});

test("after-processing-time does not fire before the delay: the data comes out when the window expires", async () => {
  const p = new Pipeline();
  const out = p
    .apply(testStream<string>().advanceWatermarkTo(10 * S).addElements("a").advanceProcessingTime(4 * S).advanceWatermarkToInfinity())
    .apply(windowInto(fixedWindows(15 * S), { trigger: afterProcessingTime(5 * S), accumulation: "discarding" }))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  assertThat(out).inEarlyPanes(intervalWindow(0, 15 * S)).empty();
  assertThat(out).inFinalPane(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a"])]);
  await runPipeline(p);
});

test("sessions merge as bridging data arrives, and split where the gap is wider", async () => {
  const p = new Pipeline();
  const out = p
    .apply(
      testStream<string>()
        .addElements(timestamped("a", 0), timestamped("b", 18 * S))
        .advanceWatermarkTo(5 * S)
        .addElements(timestamped("bridge", 9 * S), timestamped("alone", 100 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(sessions(10 * S)))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  const c = collect(out);
  await runPipeline(p);
  const rows = c.elements.map((e) => ({ values: [...(e.value as { values: string[] }).values].sort(), start: e.window.start, end: e.window.end }));
  expect(rows.sort((x, y) => x.start - y.start)).toEqual([
    { values: ["a", "b", "bridge"], start: 0, end: 28 * S },
    { values: ["alone"], start: 100 * S, end: 110 * S },
  ]);
});

test("sessions fire separately when the watermark passes the first before the second exists", async () => {
  const p = new Pipeline();
  const out = p
    .apply(
      testStream<string>()
        .addElements(timestamped("a", 0), timestamped("b", 5 * S))
        .advanceWatermarkTo(16 * S)
        .addElements(timestamped("c", 40 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(sessions(10 * S)))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  assertThat(out).inOnTimePane(intervalWindow(0, 15 * S)).containsInAnyOrder([grouped(["a", "b"])]);
  assertThat(out).inOnTimePane(intervalWindow(40 * S, 50 * S)).containsInAnyOrder([grouped(["c"])]);
  await runPipeline(p);
});

test("sliding windows put each element in every window that contains it", async () => {
  const p = new Pipeline();
  const out = p
    .apply(testStream<string>().addElements(timestamped("x", 7 * S), timestamped("y", 12 * S)).advanceWatermarkToInfinity())
    .apply(windowInto(slidingWindows(10 * S, 5 * S)))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  const c = collect(out);
  await runPipeline(p);
  const got = c.elements.map((e) => `${e.window.start / S}-${e.window.end / S}:${[...(e.value as { values: string[] }).values].sort().join("")}`).sort();
  expect(got).toEqual(["0-10:x", "10-20:y", "5-15:xy"]);
});

test("late-data counters are exact, and dropped rows never reach a pane", async () => {
  const p = new Pipeline();
  const out = p
    .apply(
      testStream<string>()
        .addElements(timestamped("ok", 1 * S))
        .advanceWatermarkTo(100 * S)
        .addElements(timestamped("too-late-1", 2 * S), timestamped("too-late-2", 3 * S), timestamped("in-lateness", 95 * S), timestamped("fresh", 150 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(fixedWindows(10 * S), { allowedLateness: 20 * S }))
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  const c = collect(out);
  const result = await runPipeline(p);
  const values = c.elements.flatMap((e) => (e.value as { values: string[] }).values).sort();
  expect(values).toEqual(["fresh", "in-lateness", "ok"]);
  const counts = [...result.metrics.counters.entries()].filter(([, m]) => m.has("droppedLateRows"));
  expect(counts.map(([name, m]) => [name, m.get("droppedLateRows")])).toEqual([["GroupByKey", 2]]);
});

test("separateLateData sends rows the grouping would drop to a late output, unchanged", async () => {
  const p = new Pipeline();
  const windowed = p
    .apply(
      testStream<string>()
        .addElements(timestamped("ok", 1 * S))
        .advanceWatermarkTo(100 * S)
        .addElements(timestamped("too-late", 2 * S), timestamped("in-lateness", 95 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(fixedWindows(10 * S), { allowedLateness: 20 * S }));
  const { main, late } = windowed.apply(separateLateData());
  const grouped = main.apply(map(kvOf)).apply(groupByKey<string, string>());
  const l = collect(late, "CollectLate");
  const g = collect(grouped);
  const result = await runPipeline(p);
  expect(l.elements.map((e) => [e.value, e.timestamp, e.window.start])).toEqual([["too-late", 2 * S, 0]]);
  expect(g.elements.flatMap((e) => (e.value as { values: string[] }).values).sort()).toEqual(["in-lateness", "ok"]);
  const dropped = [...result.metrics.counters.values()].reduce((n, m) => n + (m.get("droppedLateRows") ?? 0), 0);
  expect(dropped).toBe(0);
});

test("custom window functions assign windows from a function of the timestamp", async () => {
  const p = new Pipeline();
  // Windows of growing size: [0, 10s), [10s, 30s), [30s, 70s), ...
  const bounds = [0, 10 * S, 30 * S, 70 * S];
  const out = p
    .apply(testStream<string>().addElements(timestamped("a", 5 * S), timestamped("b", 12 * S), timestamped("c", 29 * S), timestamped("d", 31 * S)).advanceWatermarkToInfinity())
    .apply(
      windowInto(
        customWindows("growing", (ts) => {
          const i = bounds.findIndex((b, k) => ts >= b && ts < bounds[k + 1]);
          return [{ start: bounds[i], end: bounds[i + 1] }];
        }),
      ),
    )
    .apply(map(kvOf))
    .apply(groupByKey<string, string>());
  const c = collect(out);
  await runPipeline(p);
  const got = c.elements.map((e) => `${e.window.start / S}-${e.window.end / S}:${[...(e.value as { values: string[] }).values].sort().join("")}`).sort();
  expect(got).toEqual(["0-10:a", "10-30:bc", "30-70:d"]);
});

test("a custom window that does not contain its element's timestamp fails with the value and the rule", async () => {
  const p = new Pipeline();
  p.apply(testStream<string>().addElements(timestamped("a", 5 * S)).advanceWatermarkToInfinity()).apply(windowInto(customWindows("wrong", () => [{ start: 0, end: 1 }])));
  await expect(runPipeline(p)).rejects.toThrow(/BL_BAD_CUSTOM_WINDOW|must return windows \[start, end\) that contain/);
});

test("combining in sessions merges the accumulators of bridged sessions, with early count firings", async () => {
  const p = new Pipeline();
  const sums = p
    .apply(
      testStream<{ key: string; value: number }>()
        .addElements(timestamped({ key: "u", value: 1 }, 0), timestamped({ key: "u", value: 10 }, 18 * S))
        .addElements(timestamped({ key: "u", value: 100 }, 9 * S))
        .advanceWatermarkToInfinity(),
    )
    .apply(windowInto(sessions(10 * S), { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "accumulating" }))
    .apply(combinePerKey(sum()));
  const c = collect(sums);
  await runPipeline(p);
  const merged = c.elements.filter((e) => e.window.start === 0 && e.window.end === 28 * S);
  expect(merged.map((e) => [e.value.value, e.pane.timing])).toEqual([
    [111, "early"],
    [111, "on_time"],
  ]);
  // Before the bridge arrived, each session fired on its own.
  const before = c.elements.filter((e) => !(e.window.start === 0 && e.window.end === 28 * S)).map((e) => [e.window.start / S, e.value.value]);
  expect(before.sort()).toEqual([[0, 1], [18, 10]]);
});
