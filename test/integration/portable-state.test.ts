/**
 * A stateful DoFn (value, bag, combining, set, map and ordered-list state, an event-time timer per key
 * and window) and user metrics on the direct runner, on Beam's Prism and on Flink embedded (Beam's
 * Flink job server): the same output everywhere, state and timers through the Fn API's state channel
 * and timer data channel, and the user counters as the runners report them. Each suite starts its
 * service once and stops it after.
 */
import * as path from "node:path";
import { runPipeline } from "beamline";
import { main } from "../../runners/cli";
import { PortableRunner } from "../../runners/portable/runner";
import { tempDir } from "../helpers";
import { outputLines } from "./pipelines";
import { EVENTS, processingTimePipeline, statefulPipeline } from "./state-pipelines";
import { describeWithFlinkJobServer, describeWithPrism } from "./services";

/** The direct runner's output, computed once. */
const golden = (() => {
  let cached: Promise<{ stateful: string[]; expired: string[]; counters: Map<string, number> | undefined }> | null = null;
  return () =>
    (cached ??= (async () => {
      const dir = tempDir();
      const result = await runPipeline(statefulPipeline(dir));
      return { stateful: outputLines(dir, "stateful"), expired: outputLines(dir, "expired"), counters: result.metrics.counters.get("Buffer") };
    })());
})();

test("the direct runner flushes every key's window once, with every kind of state", async () => {
  const { stateful: lines, expired, counters } = await golden();
  expect(expired.length).toBe(12);
  // User metrics are the transform's counters on the direct runner (a distribution as its count and sum).
  expect(Object.fromEntries(counters ?? [])).toEqual({ seen: EVENTS, flushed: 12, "windowSize.count": 12, "windowSize.sum": EVENTS });
  // 4 users in 3 one-minute windows.
  expect(lines.length).toBe(12);
  const total = lines.reduce((a, l) => a + Number(/ n=(\d+)/.exec(l)![1]), 0);
  expect(total).toBe(EVENTS);
  for (const l of lines) {
    const values = /values=([\d,]+)/.exec(l)![1].split(",").map(Number);
    expect(Number(/ sum=(\d+)/.exec(l)![1])).toBe(values.reduce((a, b) => a + b, 0));
    // The timer's output timestamp is the window's last ms.
    const start = Date.parse(l.split(" ")[0]);
    expect(l).toContain(` at=${start + 60_000 - 1}`);
  }
}, 60_000);

/** Runs the pipeline on a portable runner and checks its output and metrics against the direct runner's. */
async function expectSameAsDirect(jobEndpoint: string, runnerName: string): Promise<void> {
  const { stateful: want, expired } = await golden();
  const dir = tempDir();
  const result = await new PortableRunner({ jobEndpoint, runnerName }).run(statefulPipeline(dir));
  expect(outputLines(dir, "stateful")).toEqual(want);
  expect(outputLines(dir, "expired")).toEqual(expired);
  const byName = new Map(result.metrics.filter((m) => m.transform === "Buffer").map((m) => [m.name, m.value]));
  expect(byName.get("seen")).toBe(EVENTS);
  expect(byName.get("flushed")).toBe(want.length);
  expect(byName.get("windowSize")).toEqual({ count: want.length, sum: EVENTS, min: expect.any(Number), max: expect.any(Number) });
}

/** Runs {@link processingTimePipeline}: every key's values counted once its processing-time timer fired. */
async function expectProcessingTimeCounts(jobEndpoint: string, runnerName: string): Promise<void> {
  const dir = tempDir();
  await new PortableRunner({ jobEndpoint, runnerName }).run(processingTimePipeline(dir));
  const lines = outputLines(dir, "delayed");
  expect(lines.every((l) => l.endsWith(" processing"))).toBe(true);
  // Each key's 10 values, in one or more firings.
  const perKey = new Map<string, number>();
  for (const l of lines) perKey.set(l.split(" ")[0], (perKey.get(l.split(" ")[0]) ?? 0) + Number(/n=(\d+)/.exec(l)![1]));
  expect(Object.fromEntries(perKey)).toEqual({ ann: 10, bob: 10, cy: 10, dee: 10 });
}

describeWithPrism("Prism: user state, timers and metrics", (prism) => {
  test("a stateful DoFn with an event-time timer gives the direct runner's output; user metrics come back", async () => {
    await expectSameAsDirect(prism().jobEndpoint, "prism");
  }, 120_000);

  test("processing-time timers fire and see the state of their key", async () => {
    await expectProcessingTimeCounts(prism().jobEndpoint, "prism");
  }, 120_000);

  test("the CLI prints a portable job's user counters, and value state counts per key across bundles", async () => {
    const err: string[] = [];
    const dir = tempDir();
    const code = await main(
      ["run", path.join(__dirname, "fixtures/counting.ts"), "--runner=portable", `--job-endpoint=${prism().jobEndpoint}`, `--output=${path.join(dir, "counts")}`],
      { out: () => {}, err: (t) => err.push(t) },
    );
    expect(code).toBe(0);
    expect(err.join("\n")).toContain("beamline: Count: odd=4");
    expect(outputLines(dir, "counts")).toEqual(["even 1", "even 2", "even 3", "odd 1", "odd 2", "odd 3", "odd 4"]);
  }, 120_000);
});

describeWithFlinkJobServer("Flink embedded: user state, timers and metrics", (server) => {
  test("a stateful DoFn with an event-time timer gives the direct runner's output; user metrics come back", async () => {
    await expectSameAsDirect(server().jobEndpoint, "flink");
  }, 240_000);

  test("processing-time timers are refused before submission", async () => {
    const e = await new PortableRunner({ jobEndpoint: server().jobEndpoint, runnerName: "flink" }).run(processingTimePipeline(tempDir())).then(
      () => null,
      (x: unknown) => x as Error & { code?: string; value?: string[] },
    );
    expect(e?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.value).toEqual([expect.stringContaining("CountAfterDelay: processing-time timer(s) flush")]);
  }, 60_000);
});
