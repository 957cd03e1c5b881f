/**
 * Window assignment and merging, re-expressing Apache Beam's
 * sdks/python/apache_beam/transforms/window_test.py (WindowTest) with Beam's expected windows, and
 * Beam's rule that windows end no later than the end of the global window (Java FixedWindows).
 */
import { fixedWindows, groupByKey, Pipeline, runPipeline, sessions, slidingWindows, testStream, timestamped, windowInto, collect } from "beamline";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, type WindowFnSpec } from "beamline";
import { assignWindows } from "../../sdk/window";

function assign(fn: WindowFnSpec, ts: number): [number, number][] {
  const a = assignWindows(fn, Float64Array.of(ts))!;
  return Array.from(a.start, (s, i) => [s, a.end[i]]);
}

// window_test.py: WindowTest.test_fixed_windows
test("fixed windows, with and without offset", () => {
  expect(assign(fixedWindows(5, 2), 7)).toEqual([[7, 12]]);
  expect(assign(fixedWindows(5, 2), 11)).toEqual([[7, 12]]);
  expect(assign(fixedWindows(5, 2), 12)).toEqual([[12, 17]]);
  expect(assign(fixedWindows(5), 5)).toEqual([[5, 10]]);
  expect(assign(fixedWindows(5), 9)).toEqual([[5, 10]]);
  expect(assign(fixedWindows(5), 10)).toEqual([[10, 15]]);
  // An offset out of range is taken modulo the size.
  expect(assign(fixedWindows(5, 12), 11)).toEqual([[7, 12]]);
});

// window_test.py: WindowTest.test_sliding_windows_assignment
test("sliding windows", () => {
  const expected = [[7, 22], [2, 17], [-3, 12]];
  for (const ts of [7, 8, 11]) expect(assign(slidingWindows(15, 5, 2), ts)).toEqual(expected);
});

// window_test.py: WindowTest.test_sliding_windows_assignment_fraction
test("sliding windows of fractional sizes", () => {
  expect(assign(slidingWindows(3.5, 2.5, 1.5), 1.7)).toEqual([[1.5, 5.0], [-1.0, 2.5]]);
  expect(assign(slidingWindows(3.5, 2.5, 1.5), 3)).toEqual([[1.5, 5.0]]);
});

// window_test.py: WindowTest.test_sessions_merging, on the direct runner: elements of one key in one
// batch, grouped; the windows of the groups are the merged sessions.
test.each([
  [[2], [[2, 12]]],
  [[2, 19], [[2, 12], [19, 29]]],
  [[2, 9], [[2, 19]]],
  [[9, 2], [[2, 19]]],
  [[2, 9, 19], [[2, 19], [19, 29]]],
  [[19, 9, 2], [[2, 19], [19, 29]]],
  [[2, 15, 10], [[2, 25]]],
])("sessions(10) merge %j into %j", async (timestamps, windows) => {
  const p = new Pipeline();
  const grouped = p
    .apply(testStream<{ key: string; value: number }>().addElements(...timestamps.map((t) => timestamped({ key: "k", value: t }, t))))
    .apply(windowInto(sessions(10)))
    .apply(groupByKey<string, number>());
  const got = collect(grouped);
  await runPipeline(p, { parallelism: 1 });
  expect(got.elements.map((e) => [e.window.start, e.window.end]).sort((a, b) => a[0] - b[0])).toEqual(windows);
});

// Beam's FixedWindows.assignWindow: "the end of the window is either start + size if that is within
// the allowable range, otherwise the end of the global window".
test("windows end no later than the end of the global window", () => {
  const end = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
  const near = GLOBAL_WINDOW_MAX_TIMESTAMP - 1000;
  for (const fn of [fixedWindows(86_400_000), slidingWindows(86_400_000, 3_600_000), sessions(86_400_000)]) {
    for (const [, e] of assign(fn, near)) expect(e).toBeLessThanOrEqual(end);
  }
  expect(assign(fixedWindows(86_400_000), near)[0][1]).toBe(end);
});
