/**
 * Groupings whose panes a portable runner would compute differently from the direct runner are refused
 * before submission, naming the grouping, the runner's behaviour and a shape that runs correctly; the
 * shapes the runners compute as the direct runner does translate.
 */
import {
  buildPipeline,
  afterCount,
  afterProcessingTime,
  afterWatermark,
  combinePerKey,
  create,
  fixedWindows,
  globalWindows,
  groupByKey,
  map,
  Pipeline,
  repeatedly,
  sessions,
  sum,
  testStream,
  windowInto,
  type WindowIntoOptions,
  type WindowFnSpec,
} from "beamline";
import teamScoresExample from "../../../examples/team-scores";
import { refused } from "./refused";
import { describeWith } from "./requirements";

/** A keyed sum (a combine, so a GroupByKey inside it) under `windowFn` and `options`. */
function summed(windowFn: WindowFnSpec, options: WindowIntoOptions): Pipeline {
  const p = new Pipeline();
  p.apply("Events", testStream<number>().addElements(1, 2).advanceWatermarkToInfinity())
    .apply("Windows", windowInto(windowFn, options))
    .apply("Key", map((x: number) => ({ key: "k", value: x })))
    .apply("Sum", combinePerKey(sum()));
  return p;
}

const FIXED = fixedWindows(60_000);
const EARLY_COUNT = afterWatermark({ early: afterCount(1) });

describeWith(["mvn", "java"], "pane refusals on portable runners", () => {
  test("allowed lateness on windows that end is refused on Prism and Flink, with the runner's behaviour and the fix", async () => {
    const p = summed(FIXED, { allowedLateness: 5_000 });
    for (const runner of ["prism", "flink"]) {
      const got = await refused(p, runner);
      expect(got).toHaveLength(1);
      expect(got![0]).toMatch(/^Sum\/.*: allowed lateness: /);
      expect(got![0]).toContain("use allowedLateness 0");
    }
    expect((await refused(p, "prism"))![0]).toContain("apache/beam#36069");
    expect((await refused(p, "flink"))![0]).toContain("on time");
  });

  test("the same lateness in the global window, and fixed windows without lateness, translate on both", async () => {
    for (const runner of ["prism", "flink"]) {
      expect(await refused(summed(globalWindows(), { allowedLateness: 5_000, trigger: repeatedly(afterCount(2)), accumulation: "accumulating" }), runner)).toBeNull();
      expect(await refused(summed(FIXED, {}), runner)).toBeNull();
      expect(await refused(summed(FIXED, { trigger: EARLY_COUNT, accumulation: "discarding", onTimeBehavior: "fireIfNonEmpty" }), runner)).toBeNull();
    }
  });

  test("early firings are refused where the runner's on-time pane differs: on Prism discarding with the default on-time behaviour or accumulating with fireIfNonEmpty, on Flink without fireIfNonEmpty", async () => {
    for (const runner of ["prism", "flink"]) {
      const got = await refused(summed(FIXED, { trigger: EARLY_COUNT, accumulation: "discarding" }), runner);
      expect(got).toHaveLength(1);
      expect(got![0]).toContain('set onTimeBehavior: "fireIfNonEmpty"');
      expect(await refused(summed(FIXED, { trigger: repeatedly(afterCount(2)), accumulation: "discarding" }), runner)).toBeNull();
      expect(await refused(summed(FIXED, { trigger: afterWatermark({ late: afterCount(1) }), accumulation: "discarding" }), runner)).toBeNull();
      expect(await refused(summed(FIXED, { trigger: EARLY_COUNT, accumulation: "discarding", onTimeBehavior: "fireIfNonEmpty" }), runner)).toBeNull();
    }
    const accumulating = summed(FIXED, { trigger: EARLY_COUNT, accumulation: "accumulating" });
    expect(await refused(accumulating, "prism")).toBeNull();
    expect(await refused(accumulating, "flink")).toEqual([expect.stringContaining("accumulated data included")]);
    // Prism fires the on-time pane with accumulated data whatever the on-time behaviour says.
    const ifNonEmpty = summed(FIXED, { trigger: EARLY_COUNT, accumulation: "accumulating", onTimeBehavior: "fireIfNonEmpty" });
    expect(await refused(ifNonEmpty, "prism")).toEqual([expect.stringContaining("leave onTimeBehavior at its default")]);
    expect(await refused(ifNonEmpty, "flink")).toBeNull();
  });

  test("merging windows and earliest or latest timestamps are refused on Prism only", async () => {
    const merged = summed(sessions("2m"), {});
    expect(await refused(merged, "prism")).toEqual([expect.stringContaining("merging windows (sessions)")]);
    expect(await refused(merged, "flink")).toBeNull();
    const earliest = summed(FIXED, { timestampCombiner: "earliest" });
    expect(await refused(earliest, "prism")).toEqual([expect.stringContaining('timestamp combiner "earliest"')]);
    expect(await refused(earliest, "flink")).toBeNull();
  });

  test("each grouping is named: a GroupByKey and a combine under refused shapes give one message each", async () => {
    const p = new Pipeline();
    const keyed = p
      .apply("Events", testStream<number>().addElements(1).advanceWatermarkToInfinity())
      .apply("Windows", windowInto(FIXED, { allowedLateness: 1_000 }))
      .apply("Key", map((x: number) => ({ key: "k", value: x })));
    keyed.apply("Group", groupByKey<string, number>());
    keyed.apply("Sum", combinePerKey(sum()));
    const got = (await refused(p, "flink"))!;
    expect(got.map((m) => m.split(":")[0]).sort()).toEqual(["Group", expect.stringMatching(/^Sum\//)]);
  });

  test("allowed lateness on a bounded input translates on Flink (no data comes late); Prism still misses the last pane flag", async () => {
    const p = new Pipeline();
    p.apply("Numbers", create([1, 2, 3]))
      .apply("Windows", windowInto(FIXED, { allowedLateness: 5_000 }))
      .apply("Key", map((x: number) => ({ key: "k", value: x })))
      .apply("Sum", combinePerKey(sum()));
    expect(await refused(p, "flink")).toBeNull();
    expect(await refused(p, "prism")).toEqual([expect.stringContaining("in a bounded pipeline too")]);
  });

  test("processing-time triggers on windows that end are refused on Prism; in the global window they translate", async () => {
    const early = afterWatermark({ early: afterProcessingTime("5m") });
    expect(await refused(summed(FIXED, { trigger: early, accumulation: "accumulating" }), "prism")).toEqual([expect.stringContaining("a processing-time trigger: Prism")]);
    expect(await refused(summed(globalWindows(), { trigger: repeatedly(afterProcessingTime("5m")), accumulation: "accumulating" }), "prism")).toBeNull();
  });

  test("examples/team-scores (early processing-time and late firings, 30 s of lateness, a bounded sequence) is refused on Prism and Flink, naming its grouping", async () => {
    const p = buildPipeline(teamScoresExample, {});
    const grouping = (runner: string) => refused(p, runner).then((list) => (list ?? []).filter((m) => m.startsWith("TeamScores/")));
    const prism = await grouping("prism");
    expect(prism.join("\n")).toContain("allowed lateness: Prism");
    expect(prism.join("\n")).toContain("a processing-time trigger: Prism");
    const flink = await grouping("flink");
    expect(flink).toEqual([expect.stringContaining("early firings and the on-time pane fired even when it holds no new data")]);
  });

  test("a runner Beamline does not know is not second-guessed", async () => {
    expect(await refused(summed(sessions("2m"), { allowedLateness: 5_000, timestampCombiner: "latest" }), "test")).toBeNull();
  });
});
