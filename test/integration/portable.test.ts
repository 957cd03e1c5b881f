/**
 * The same pipelines on the direct runner and on real portable runners: Beam's Prism (from the Go
 * module proxy), Beam's Flink job server with an embedded Flink, and a Flink session cluster
 * (JobManager and TaskManager processes; the test checks through Flink's REST API that the job ran
 * there). Also: a throwing user function fails the job with its message and transform name, and
 * features a portable runner lacks are refused before submission, all in one error.
 * Each suite starts its services once and stops them after.
 */
import * as path from "node:path";
import { create, customWindows, runPipeline, Pipeline, testStream, windowInto, writeText } from "beamline";
import { main } from "../../runners/cli";
import { clusterJobs } from "../../runners/flink/flink";
import { JobFailedError, PortableRunner, type PortableResult } from "../../runners/portable/runner";
import { tempDir } from "../helpers";
import { deadLetterPipeline, guardedPipeline, outputLines, sideInputPipeline, windowedPipeline, wordcountPipeline } from "./pipelines";
import { describeWithFlinkCluster, describeWithFlinkJobServer, describeWithPrism } from "./services";

/** Runs both golden pipelines on the direct runner once, for every suite to compare with. */
const golden = (() => {
  let cached: Promise<{ counts: string[]; windowed: string[]; side: string[] }> | null = null;
  return () =>
    (cached ??= (async () => {
      const dir = tempDir();
      await runPipeline(wordcountPipeline(dir));
      await runPipeline(windowedPipeline(dir));
      await runPipeline(sideInputPipeline(dir));
      return { counts: outputLines(dir, "counts"), windowed: outputLines(dir, "windowed"), side: outputLines(dir, "side") };
    })());
})();

/**
 * The golden pipelines on `run` give the direct runner's results; with `windowedRefused`, the windowed
 * pipeline is refused before submission instead (Prism: allowed lateness, whose on-time panes it does not
 * mark last; see runners/portable/translate-panes.ts).
 */
async function expectSameAsDirect(run: (p: Pipeline) => Promise<unknown>, windowedRefused = false): Promise<void> {
  const want = await golden();
  const dir = tempDir();
  await run(wordcountPipeline(dir));
  if (windowedRefused) {
    const e = await run(windowedPipeline(dir)).then(() => null, (x: unknown) => x as { code?: string; message: string });
    expect(e?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e?.message).toContain("allowed lateness");
  } else await run(windowedPipeline(dir));
  await run(sideInputPipeline(dir));
  const counts = outputLines(dir, "counts");
  expect(counts.length).toBeGreaterThan(100);
  expect(counts).toEqual(want.counts);
  const windowed = outputLines(dir, "windowed");
  if (windowedRefused) expect(windowed).toEqual([]);
  else {
    expect(windowed.length).toBe(15);
    expect(windowed.every((l) => l.endsWith(" on_time"))).toBe(true);
    expect(windowed).toEqual(want.windowed);
  }
  expect(outputLines(dir, "side")).toEqual(["10 of 10 with a+b+c", "20 of 10 with a+b+c", "30 of 10 with a+b+c"]);
  expect(want.side).toEqual(outputLines(dir, "side"));
}

/** The dead-letter pipeline gives the direct runner's good rows, dead letters and counters. */
async function expectDeadLettersAsDirect(run: (p: Pipeline) => Promise<PortableResult>): Promise<void> {
  const direct = tempDir();
  await runPipeline(deadLetterPipeline(direct));
  const dir = tempDir();
  const result = await run(deadLetterPipeline(dir));
  const counters = new Map(result.metrics.filter((m) => m.transform === "Parse").map((m) => [m.name, m.value]));
  expect(Object.fromEntries(counters)).toEqual({ retries: 8, deadLetters: 4 });
  const dead = outputLines(dir, "dead");
  expect(dead).toHaveLength(4);
  expect(dead).toContain('dead Parse {"id":13} IOError 2 13 — id 13 failed.');
  expect(outputLines(dir, "good")).toHaveLength(36);
  expect(outputLines(dir, "good")).toContain("good 15");
  expect(dead).toEqual(outputLines(direct, "dead"));
  expect(outputLines(dir, "good")).toEqual(outputLines(direct, "good"));
}

/**
 * The dead-letter guard over ten rows, four of them bad: a ratio of 0.4 passes with the direct
 * runner's rows; a ratio of 0.3 (checked when the input ends, as ten rows are too few before) and a
 * count of 3 fail the job, naming the transform and the limit.
 */
async function expectGuardAsDirect(run: (p: Pipeline) => Promise<unknown>): Promise<void> {
  const direct = tempDir();
  await runPipeline(guardedPipeline(direct, { maxDeadLetterRatio: 0.4 }));
  const dir = tempDir();
  await run(guardedPipeline(dir, { maxDeadLetterRatio: 0.4 }));
  expect(outputLines(dir, "dead")).toHaveLength(4);
  expect(outputLines(dir, "dead")).toEqual(outputLines(direct, "dead"));
  expect(outputLines(dir, "good")).toEqual(outputLines(direct, "good"));
  for (const [limits, rule] of [[{ maxDeadLetterRatio: 0.3 }, "maxDeadLetterRatio (0.3)"], [{ maxDeadLetters: 3 }, "maxDeadLetters (3)"]] as const) {
    const onDirect = await runPipeline(guardedPipeline(tempDir(), limits)).then(() => null, (x: unknown) => x as Error);
    expect(onDirect?.message).toContain(rule);
    const e = await run(guardedPipeline(tempDir(), limits)).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(JobFailedError);
    expect((e as Error).message).toContain('transform "Parse"');
    expect((e as Error).message).toContain(rule);
  }
}

/** The cases a portable runner passes with the direct runner's results: the golden pipelines, dead letters, and the dead-letter guard. */
function sameAsDirectCases(runner: () => (p: Pipeline) => Promise<PortableResult>, timeoutMs: number, windowedRefused = false): void {
  test("wordcount, a windowed and triggered pipeline, and side inputs give the direct runner's results", () => expectSameAsDirect(runner(), windowedRefused), timeoutMs);
  test("dead letters are an ordinary tagged output: the same good rows and dead letters (with attempts) as on the direct runner", () => expectDeadLettersAsDirect(runner()), timeoutMs);
  test("the dead-letter guard: a ratio over a short input fails the job when its input ends, a count at once, as on the direct runner", () => expectGuardAsDirect(runner()), timeoutMs);
}

describeWithPrism("Prism", (prism) => {
  sameAsDirectCases(() => (p) => new PortableRunner({ jobEndpoint: prism().jobEndpoint, runnerName: "prism" }).run(p), 120_000, true);

  test("a throwing user function fails the job with its message and the transform's name on the terminal", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ["run", path.join(__dirname, "fixtures/failing.ts"), "--runner=portable", `--job-endpoint=${prism().jobEndpoint}`, `--output=${path.join(tempDir(), "out")}`],
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    expect(code).toBe(1);
    const text = err.join("\n");
    expect(text).toContain("BL_JOB_FAILED");
    expect(text).toContain("three is not allowed (got 3)");
    expect(text).toContain('transform "Explode"');
  }, 120_000);

  test("features the runner lacks are refused before submission, all in one error", async () => {
    const p = new Pipeline();
    // Prism drives one TestStream per pipeline: the second is refused with the first.
    p.apply("Ticks", testStream<string>().addElements("tick"));
    p.apply("Tocks", testStream<string>().addElements("tock"));
    p.apply("Pairs", create([{ key: "a", value: 1 }])).apply("Halves", windowInto(customWindows("halves", (ts) => [{ start: ts - (ts % 500), end: ts - (ts % 500) + 500 }])));
    p.apply("Nums", create([1])).apply("Write", writeText(path.join(tempDir(), "never")));
    const runner = new PortableRunner({ jobEndpoint: prism().jobEndpoint, runnerName: "prism" });
    const e = await runner.run(p).then(() => null, (x: unknown) => x as Error & { code?: string; value?: unknown });
    expect(e).not.toBeNull();
    expect(e!.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.message).toContain("Ticks");
    expect(e!.message).toContain("Tocks");
    expect(e!.message).toContain('custom "halves"');
    expect((e!.value as string[]).length).toBe(3);
  }, 60_000);
});

describeWithFlinkJobServer("Flink (embedded, through Beam's Flink job server)", (server) => {
  sameAsDirectCases(() => (p) => new PortableRunner({ jobEndpoint: server().jobEndpoint, runnerName: "flink" }).run(p), 240_000);

  test("a PROCESS environment: Flink starts Beamline's boot command, which retrieves the staged bundle and rebuilds the pipeline", async () => {
    const want = await golden();
    const dir = tempDir();
    const err: string[] = [];
    const code = await main(
      ["run", path.join(__dirname, "../../examples/wordcount.ts"), "--runner=flink", `--job-endpoint=${server().jobEndpoint}`, "--environment-type=PROCESS", `--output=${path.join(dir, "counts")}`],
      { out: () => {}, err: (t) => err.push(t) },
    );
    expect(err.join("\n")).toContain("done on the flink runner");
    expect(code).toBe(0);
    expect(outputLines(dir, "counts")).toEqual(want.counts);
  }, 240_000);

  test("a throwing user function fails the Flink job with its message and transform name", async () => {
    const p = new Pipeline();
    p.apply("Numbers", create([1, 2, 3])).map((n: number) => {
      if (n === 2) throw new Error("no twos here");
      return n;
    }, { name: "Picky" });
    const e = await new PortableRunner({ jobEndpoint: server().jobEndpoint, runnerName: "flink" }).run(p).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(JobFailedError);
    expect((e as Error).message).toContain("no twos here");
    expect((e as Error).message).toContain('transform "Picky"');
  }, 240_000);
});

describeWithFlinkCluster("Flink session cluster (JobManager and TaskManager processes)", (services) => {
  test("the pipelines run on the cluster (seen through Flink's REST API) with the direct runner's results", async () => {
    const { cluster, server } = services();
    const names: string[] = [];
    let n = 0;
    await expectSameAsDirect((p) => {
      const jobName = `beamline-cluster-test-${n++}`;
      names.push(jobName);
      return new PortableRunner({ jobEndpoint: server.jobEndpoint, runnerName: "flink", jobName }).run(p);
    });
    const jobs = await clusterJobs(cluster.restEndpoint);
    for (const name of names) {
      const job = jobs.find((j) => j.name.includes(name));
      expect(job).toBeDefined();
      expect(job!.state).toBe("FINISHED");
    }
  }, 300_000);
});
