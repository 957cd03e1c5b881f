import { AssertionFailedError, assertThat, BeamlineError, combineGlobally, combinePerKey, count, create, fixedWindows, groupByKey, intervalWindow, Pipeline, runPipeline, sum, windowInto, withTimestamps, type ElementBatch, afterCount, afterWatermark, testStream, timestamped, type PCollection } from "beamline";
import { paneFlags } from "../../sdk/batch";
import { columnar } from "../../sdk/pardo";

/** Runs `p` and returns the assertion error it rejects with (fails the test if it resolves). */
async function failureOf(p: Pipeline): Promise<AssertionFailedError> {
  const err = await runPipeline(p).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AssertionFailedError);
  return err as AssertionFailedError;
}

/** Word counts per one-minute window: a: 2 and b: 1 in [0, 60s), a: 1 in [60s, 120s). */
function windowedCounts(p: Pipeline): PCollection<{ key: string; value: number }> {
  return p
    .apply(create([{ w: "a", t: 1_000 }, { w: "a", t: 59_000 }, { w: "b", t: 30_000 }, { w: "a", t: 61_000 }]))
    .apply(withTimestamps("t"))
    .apply(windowInto(fixedWindows("1m")))
    .map((r) => ({ key: r.w, value: 1 }))
    .apply(combinePerKey(sum()));
}

describe("assertThat", () => {
  test("a right expectation passes, over all windows and per window pane", async () => {
    const p = new Pipeline();
    const counts = windowedCounts(p);
    assertThat(counts).containsInAnyOrder([{ key: "a", value: 1 }, { value: 1, key: "b" }, { key: "a", value: 2 }]);
    assertThat(counts).inOnTimePane(intervalWindow(0, { size: "1m" })).containsInAnyOrder([{ key: "b", value: 1 }, { key: "a", value: 2 }]);
    assertThat(counts).inOnlyPane(intervalWindow(60_000, 120_000)).containsInAnyOrder([{ key: "a", value: 1 }]);
    assertThat(counts).inFinalPane({ start: 60_000, end: 120_000 }).equals({ key: "a", value: 1 });
    assertThat(counts).inEarlyPanes(intervalWindow(0, 60_000)).empty();
    assertThat(counts).inLatePanes(intervalWindow(0, 60_000)).empty();
    assertThat(counts).inWindow(intervalWindow(120_000, 180_000)).empty();
    assertThat(counts).satisfies((rows) => rows.every((r) => r.value > 0), "positive counts");
    await runPipeline(p);
  });

  test("a wrong expectation fails with missing and unexpected rows, the window, pane and transform name", async () => {
    const p = new Pipeline();
    const counts = windowedCounts(p);
    assertThat(counts, "CountsInFirstMinute").inOnTimePane(intervalWindow(0, 60_000)).containsInAnyOrder([
      { key: "a", value: 3 },
      { key: "b", value: 1 },
      { key: "c", value: 1 },
    ]);
    const err = await failureOf(p);
    expect(err).toBeInstanceOf(BeamlineError);
    expect(err.code).toBe("BL_ASSERTION_FAILED");
    expect(err.failures).toHaveLength(1);
    expect(err.failures[0].transform).toBe("CountsInFirstMinute");
    expect(err.failures[0].missing).toEqual([{ key: "a", value: 3 }, { key: "c", value: 1 }]);
    expect(err.failures[0].unexpected).toEqual([{ key: "a", value: 2 }]);
    const m = err.message;
    expect(m).toMatch(/1 of 1 assertion\(s\) failed/);
    expect(m).toContain('"CountsInFirstMinute": containsInAnyOrder(3 row(s)) in the on-time pane of window [1970-01-01T00:00:00.000Z, 1970-01-01T00:01:00.000Z)');
    expect(m).toMatch(/missing \(expected, not found\) \(2\):\n\s+\{"key":"a","value":3\}\n\s+\{"key":"c","value":1\}/);
    expect(m).toMatch(/unexpected \(found, not expected\) \(1\):\n\s+\{"key":"a","value":2\}\s+@ window \[1970-01-01T00:00:00.000Z, 1970-01-01T00:01:00.000Z\), pane 0 \(on-time, first, last\)/);
    // The actual rows of every window are listed, so a row in the wrong window is easy to spot.
    expect(m).toMatch(/actual: 3 row\(s\) by window and pane:/);
    expect(m).toMatch(/window \[1970-01-01T00:01:00.000Z, 1970-01-01T00:02:00.000Z\), pane 0 \(on-time, first, last\):\n\s+\{"key":"a","value":1\}/);
  });

  test("several failed assertions are reported together, passing ones are counted", async () => {
    const p = new Pipeline();
    const nums = p.apply(create([1, 2, 3, 3]));
    assertThat(nums).containsInAnyOrder([1, 2, 3, 3]);
    assertThat(nums).containsInAnyOrder([1, 2, 3]);
    assertThat(nums.apply(combineGlobally(sum()))).equals(9);
    assertThat(nums.apply(combineGlobally(sum()))).equals(8);
    assertThat(nums).empty();
    assertThat(nums).satisfies(() => {
      throw new Error("no threes allowed");
    }, "no threes");
    const err = await failureOf(p);
    expect(err.failures.map((f) => f.transform)).toEqual(["AssertThat2", "AssertThat4", "AssertThat5", "AssertThat6"]);
    expect(err.message).toMatch(/^4 of 6 assertion\(s\) failed/);
    expect(err.failures[0].unexpected).toEqual([3]);
    expect(err.failures[1].report).toMatch(/equals\(8\) over all windows and panes — the one row differs/);
    expect(err.failures[1]).toMatchObject({ missing: [8], unexpected: [9] });
    expect(err.failures[2].report).toMatch(/empty\(\) .* — expected no rows/);
    expect(err.failures[3].report).toMatch(/satisfies\(no threes\) .* — it threw: no threes allowed/);
  });

  test("a failed run is reported again when the same pipeline runs again; a fixed one passes", async () => {
    const p = new Pipeline();
    let expected = [1, 2];
    assertThat(p.apply(create([1, 2, 3]))).satisfies((rows) => rows.length === expected.length);
    expect((await failureOf(p)).failures).toHaveLength(1);
    expect((await failureOf(p)).failures).toHaveLength(1);
    expected = [1, 2, 3];
    await runPipeline(p);
  });

  test("equals compares one row by value: key order, nested lists and grouped values", async () => {
    const p = new Pipeline();
    const grouped = p.apply(create([{ key: "k", value: 1 }, { key: "k", value: 1 }])).apply(groupByKey());
    assertThat(grouped).equals({ values: [1, 1], key: "k" });
    assertThat(grouped.map((g) => g.values.length)).inOnlyPane().equals(2);
    assertThat(p.apply("Empty", create<number>([1])).filter(() => false)).inWindow("global").empty();
    await runPipeline(p);
  });

  test("equals fails on more than one row, listing them", async () => {
    const p = new Pipeline();
    assertThat(p.apply(create([{ n: 1 }, { n: 1 }]))).equals({ n: 1 });
    const err = await failureOf(p);
    expect(err.failures[0].report).toMatch(/expected exactly one row, found 2/);
    expect(err.failures[0].unexpected).toEqual([{ n: 1 }]);
  });

  test("pane selections: early, on-time, late and final panes of one window, and only-pane violations", async () => {
    const p = new Pipeline();
    // Stamp panes as a trigger would: index, timing (0 early, 1 on time, 2 late), first, last.
    const panes: [number, number, boolean, boolean][] = [[0, 0, true, false], [1, 0, false, false], [2, 1, false, false], [3, 2, false, true]];
    const fired = p.apply(create([{ v: "e0" }, { v: "e1" }, { v: "on" }, { v: "late" }])).apply(
      columnar<{ v: string }, { v: string }>(
        "StampPanes",
        (b: ElementBatch, emit) => {
          const n = b.data.numRows;
          emit("main", {
            data: b.data,
            timestamps: b.timestamps,
            windows: { kind: "interval", start: new Float64Array(n).fill(0), end: new Float64Array(n).fill(10) },
            panes: {
              flags: Uint8Array.from(panes.slice(0, n), ([, t, f, l]) => paneFlags(t, f, l)),
              index: Int32Array.from(panes.slice(0, n), ([i]) => i),
            },
          });
        },
        null,
      ),
    );
    const w = intervalWindow(0, 10);
    assertThat(fired).inEarlyPanes(w).containsInAnyOrder([{ v: "e1" }, { v: "e0" }]);
    assertThat(fired).inOnTimePane(w).equals({ v: "on" });
    assertThat(fired).inLatePanes(w).equals({ v: "late" });
    assertThat(fired).inFinalPane(w).equals({ v: "late" });
    assertThat(fired).inWindow(w).satisfies((rows) => rows.length === 4);
    assertThat(fired).inWindow().empty();
    assertThat(fired, "OnlyPane").inOnlyPane(w).containsInAnyOrder([{ v: "e0" }, { v: "e1" }, { v: "on" }, { v: "late" }]);
    const err = await failureOf(p);
    expect(err.failures.map((f) => f.transform)).toEqual(["OnlyPane"]);
    expect(err.failures[0].report).toMatch(/the window fired more than one pane/);
    expect(err.failures[0].report).toMatch(/\{"v":"on"\}\s+@ window \[1970-01-01T00:00:00.000Z, 1970-01-01T00:00:00.010Z\), pane 2 \(on-time\)/);
  });

  test("rows compare by value: bigint and number, key order, a repeated row counted", async () => {
    const p = new Pipeline();
    const counted = p.apply(create(["x", "y", "x"])).apply(combineGlobally(count()));
    assertThat(counted).containsInAnyOrder([3]);
    assertThat(p.apply("Big", create([{ a: 1, b: { c: [1, 2] } }]))).containsInAnyOrder([{ b: { c: [1, 2] }, a: 1 }]);
    const twice = p.apply("Twice", create([5, 5]));
    assertThat(twice, "TwiceOnce").containsInAnyOrder([5]);
    const err = await failureOf(p);
    expect(err.failures.map((f) => [f.transform, f.missing, f.unexpected])).toEqual([["TwiceOnce", [], [5]]]);
  });

  test("an explicit assertion name must be unique", () => {
    const p = new Pipeline();
    const pc = p.apply(create([1]));
    assertThat(pc, "Same").empty();
    expect(() => assertThat(pc, "Same").empty()).toThrow(/BL_DUPLICATE_NAME|already applied/);
    expect(() => intervalWindow(10, 5)).toThrow(RangeError);
  });

  test("early, on-time and late panes fired by a trigger under TestStream", async () => {
    const p = new Pipeline();
    const grouped = p
      .apply(
        testStream<{ key: string; value: number }>()
          .advanceWatermarkTo(0)
          .addElements(timestamped({ key: "a", value: 1 }, 1_000))
          .addElements(timestamped({ key: "a", value: 2 }, 2_000))
          .advanceWatermarkTo(15_000)
          .addElements(timestamped({ key: "a", value: 3 }, 3_000))
          .advanceWatermarkToInfinity(),
      )
      .apply(windowInto(fixedWindows("15s"), { trigger: afterWatermark({ early: afterCount(1), late: afterCount(1) }), allowedLateness: "1m" }))
      .apply(groupByKey());
    const w = intervalWindow(0, { size: "15s" });
    assertThat(grouped).inEarlyPanes(w).containsInAnyOrder([{ key: "a", values: [1] }, { key: "a", values: [2] }]);
    assertThat(grouped).inOnTimePane(w).equals({ key: "a", values: [] });
    assertThat(grouped).inLatePanes(w).equals({ key: "a", values: [3] });
    assertThat(grouped, "NotOnlyPane").inOnlyPane(w).containsInAnyOrder([{ key: "a", values: [1, 2, 3] }]);
    const err = await failureOf(p);
    expect(err.failures.map((f) => f.transform)).toEqual(["NotOnlyPane"]);
    expect(err.failures[0].report).toMatch(/pane 0 \(early, first\):\n\s+\{"key":"a","values":\[1\]\}/);
    expect(err.failures[0].report).toMatch(/pane 3 \(late\b[^)]*\):\n\s+\{"key":"a","values":\[3\]\}/);
  });
});
