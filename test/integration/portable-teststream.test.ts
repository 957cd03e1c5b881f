/**
 * TestStreams on portable runners: the runner drives Beam's `beam:transform:teststream:v1` itself, and
 * the panes (window, value, timing, index, first/last) of triggered, windowed scenarios equal the direct
 * runner's, line for line, or the scenario is refused before submission where the runner would compute
 * other panes (REFUSED, with the refusal's reason). Beam's Flink runner cannot advance processing time
 * in a TestStream, so those scenarios are refused before submission there too.
 * Combines (lifted by Prism itself, by Beamline for Flink) give the direct runner's results.
 * Each suite starts its service once.
 */
import { type Pipeline, runPipeline } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { tempDir } from "../helpers";
import { combinePipeline } from "./combine-pipelines";
import { outputLines, windowedPipeline, wordcountPipeline } from "./pipelines";
import { Scenario, SCENARIOS, scenarioOutput } from "./teststream-pipelines";
import { describeWithFlinkJobServer, describeWithPrism } from "./services";

/** Every scenario's lines on the direct runner, computed once. */
const golden = (() => {
  let cached: Promise<Map<string, string[]>> | null = null;
  return () =>
    (cached ??= (async () => {
      const dir = tempDir();
      const out = new Map<string, string[]>();
      for (const s of SCENARIOS) {
        await runPipeline(s.build(scenarioOutput(dir, s.name)));
        out.set(s.name, outputLines(dir, s.name));
      }
      return out;
    })());
})();

/** The combine pipelines' lines on the direct runner, computed once. */
const combineGolden = (() => {
  let cached: Promise<Map<string, string[]>> | null = null;
  return () =>
    (cached ??= (async () => {
      const dir = tempDir();
      await runPipeline(wordcountPipeline(dir));
      await runPipeline(windowedPipeline(dir));
      await runPipeline(combinePipeline(dir));
      return new Map(COMBINE_OUTPUTS.map((f) => [f, outputLines(dir, f)]));
    })());
})();

/** Output file prefixes of the combine pipelines (wordcount counts, the windowed clicks, the aggregates). */
const COMBINE_OUTPUTS = ["counts", "windowed", "combined-regions", "combined-total", "combined-sessions"];

/** The unsupported list of a run refused before submission (the run fails the test if it is not refused). */
async function refusal(run: Promise<unknown>): Promise<string[]> {
  const e = await run.then(() => null, (x: unknown) => x as Error & { code?: string; value?: string[] });
  expect(e?.code).toBe("BL_PORTABLE_UNSUPPORTED");
  return e!.value!;
}

/**
 * Wordcount, the windowed pipeline and the aggregates on `runner` give the direct runner's lines; on
 * Prism the windowed pipeline (allowed lateness: its on-time panes are not marked last) and the
 * aggregates' pipeline (a session-windowed combine: Prism's triggers do not handle merging windows,
 * apache/beam#31438) are refused before submission.
 */
function sameCombines(runner: "prism" | "flink", endpoint: () => string, timeoutMs: number): void {
  test("combines (wordcount, windowed counts, built-in and user aggregations, globally, in sessions): the direct runner's results", async () => {
    const want = await combineGolden();
    const dir = tempDir();
    const run = (p: Pipeline) => new PortableRunner({ jobEndpoint: endpoint(), runnerName: runner }).run(p);
    await run(wordcountPipeline(dir));
    if (runner === "prism") {
      expect(await refusal(run(windowedPipeline(dir)))).toEqual([expect.stringMatching(/^PerUser\/.*allowed lateness: Prism/)]);
      expect(await refusal(run(combinePipeline(dir)))).toEqual([expect.stringMatching(/^SessionTotals\/.*merging windows \(sessions\)/)]);
    } else {
      await run(windowedPipeline(dir));
      await run(combinePipeline(dir));
    }
    for (const f of COMBINE_OUTPUTS) {
      if (runner === "prism" && f !== "counts") expect([f, outputLines(dir, f)]).toEqual([f, []]);
      else expect([f, outputLines(dir, f)]).toEqual([f, want.get(f)]);
    }
    expect(want.get("combined-regions")).toHaveLength(5);
    expect(want.get("combined-total")).toHaveLength(1);
    expect(want.get("combined-sessions")!.every((l) => l.endsWith(" on_time"))).toBe(true);
  }, timeoutMs);
}

/** Element counts per PCollection over every bundle the (in-process) harness ran during `run`, from its debug report. */
async function harnessCounts(run: () => Promise<unknown>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const before = process.env.BEAMLINE_HARNESS_DEBUG;
  process.env.BEAMLINE_HARNESS_DEBUG = "1";
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    const m = /elements per PCollection (\{.*\})/.exec(String(chunk));
    if (m) for (const [pc, n] of Object.entries(JSON.parse(m[1]) as Record<string, number>)) counts.set(pc, (counts.get(pc) ?? 0) + n);
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
    if (before === undefined) delete process.env.BEAMLINE_HARNESS_DEBUG;
    else process.env.BEAMLINE_HARNESS_DEBUG = before;
  }
  return counts;
}

/** The precombine ran in the harness: wordcount's words reach the shuffle as far fewer accumulators. */
function liftedWordcount(runner: "prism" | "flink", endpoint: () => string, lifted: RegExp, timeoutMs: number): void {
  test("the precombine phase ran: fewer elements cross the GroupByKey than enter the combine", async () => {
    const counts = await harnessCounts(() => new PortableRunner({ jobEndpoint: endpoint(), runnerName: runner }).run(wordcountPipeline(tempDir())));
    const words = counts.get("CountWords/Count/KeyBy.main") ?? 0;
    const accumulators = [...counts].filter(([pc]) => lifted.test(pc)).reduce((n, [, c]) => n + c, 0);
    expect(words).toBeGreaterThan(400);
    expect(accumulators).toBeGreaterThan(0);
    // Reads are split into parts spread over the workers, and each precombines what it read: a word
    // found in two parts crosses twice, so about half the words cross (one part would be well under half).
    expect(accumulators).toBeLessThan(words * 0.6);
    if (process.env.BEAMLINE_SHOW_PANES) process.stderr.write(`${runner}: ${words} words entered the combine, ${accumulators} accumulators crossed the shuffle\n`);
  }, timeoutMs);
}

const LATENESS_PRISM = "allowed lateness: Prism's triggers are incomplete";
const LATENESS_FLINK = "allowed lateness: Beam's Flink runner times the first pane";
const EMPTY_ON_TIME_PRISM = "a discarding trigger with early firings and the on-time pane fired even when empty: Prism";
const EMPTY_ON_TIME_FLINK = "a trigger with early firings and the on-time pane fired even when it holds no new data: Beam's Flink runner";

/**
 * The scenarios each runner would compute other panes for than the direct runner (Prism: extra closing
 * late panes and on-time panes not marked last under allowed lateness, bounded or not; the on-time pane
 * fired when the window holds data, whatever the on-time behaviour; processing-time triggers firing late; Flink: a window's first, late pane timed on time, and no on-time pane without
 * new data after an early pane), which the translation
 * refuses before submission: the part of the refusal that says why. Every other scenario matches exactly.
 */
const REFUSED: Record<"prism" | "flink", Record<string, string>> = {
  prism: {
    "on-time": LATENESS_PRISM,
    speculative: LATENESS_PRISM,
    "unobservably-late": LATENESS_PRISM,
    "observably-late": LATENESS_PRISM,
    "droppably-late": LATENESS_PRISM,
    "late-data-default-trigger": LATENESS_PRISM,
    "early-count-discarding": EMPTY_ON_TIME_PRISM,
    "early-count-accumulating-if-nonempty": "an accumulating trigger with early firings and the on-time pane fired only with new data: Prism",
    "speculative-no-lateness": "a processing-time trigger: Prism",
    "bounded-lateness": LATENESS_PRISM,
  },
  flink: {
    "on-time": LATENESS_FLINK,
    "unobservably-late": LATENESS_FLINK,
    "droppably-late": LATENESS_FLINK,
    "late-data-default-trigger": LATENESS_FLINK,
    "early-count-discarding": EMPTY_ON_TIME_FLINK,
    "early-count-accumulating": EMPTY_ON_TIME_FLINK,
  },
};

/** One test per scenario: its lines on `runner` (at the job endpoint `endpoint()` gives) are the direct runner's, or it is refused before submission as REFUSED says. */
function samePanes(runner: "prism" | "flink", scenarios: readonly Scenario[], endpoint: () => string, timeoutMs: number): void {
  for (const s of scenarios) {
    const why = REFUSED[runner][s.name];
    test(why ? `${s.name}: refused before submission` : `${s.name}: the same panes as on the direct runner`, async () => {
      const want = (await golden()).get(s.name)!;
      const dir = tempDir();
      const run = new PortableRunner({ jobEndpoint: endpoint(), runnerName: runner }).run(s.build(scenarioOutput(dir, s.name)));
      if (!why) {
        await run;
        expect(outputLines(dir, s.name)).toEqual(want);
        return;
      }
      expect((await refusal(run)).some((m) => m.includes(why))).toBe(true);
      expect(outputLines(dir, s.name)).toEqual([]);
    }, timeoutMs);
  }
}

test("the direct runner's panes are the model's: early, on-time and late panes, and a droppably late element dropped", async () => {
  const want = await golden();
  // Spot checks against the LeaderBoard expectations, so the comparisons below compare with the model.
  expect(want.get("speculative")).toEqual(expect.arrayContaining(["0 early 0 F- blue 5", "0 early 1 -- blue 8", "0 on_time 2 -L blue 10", "0 early 0 F- red 5", "0 on_time 1 -L red 9"]));
  expect(want.get("observably-late")).toEqual(expect.arrayContaining(["0 early 0 F- blue 8", "0 on_time 1 -- blue 11", "0 on_time 0 F- red 7", "0 late 1 -- red 17", "0 late 2 -L red 27"]));
  expect(want.get("droppably-late")!.join("\n")).not.toContain("late 1");
  expect(want.get("late-data-default-trigger")!.join("\n")).not.toContain("too-late");
  for (const [name, lines] of want) expect([name, lines.length > 0]).toEqual([name, true]);
  if (process.env.BEAMLINE_SHOW_PANES) for (const [name, lines] of want) process.stderr.write(`${name}\n  ${lines.join("\n  ")}\n`);
}, 60_000);

describeWithPrism("Prism: TestStream and combines", (prism) => {
  samePanes("prism", SCENARIOS, () => prism().jobEndpoint, 120_000);
  sameCombines("prism", () => prism().jobEndpoint, 120_000);
  // Prism lifts the combine itself and names the precombine's output after the combine transform.
  liftedWordcount("prism", () => prism().jobEndpoint, /CountWords\/Count\/CombinePerKey.*lifted/, 120_000);
});

describeWithFlinkJobServer("Flink embedded (streaming mode): TestStream and combines", (server) => {
  samePanes("flink", SCENARIOS.filter((x) => !x.processingTime), () => server().jobEndpoint, 240_000);
  sameCombines("flink", () => server().jobEndpoint, 240_000);
  liftedWordcount("flink", () => server().jobEndpoint, /^CountWords\/Count\/CombinePerKey\/Precombine\.out$/, 240_000);

  test("scenarios advancing processing time are refused before submission (Beam's Flink runner cannot advance it)", async () => {
    for (const s of SCENARIOS.filter((x) => x.processingTime)) {
      const runner = new PortableRunner({ jobEndpoint: server().jobEndpoint, runnerName: "flink" });
      const e = await runner.run(s.build(scenarioOutput(tempDir(), s.name))).then(() => null, (x: unknown) => x as Error & { code?: string; value?: unknown });
      expect(e).not.toBeNull();
      expect(e!.code).toBe("BL_PORTABLE_UNSUPPORTED");
      expect(e!.message).toContain("Events: TestStream advancing processing time");
      expect((e!.value as string[]).filter((m) => m.startsWith("Events:"))).toHaveLength(1);
    }
  }, 60_000);
});
