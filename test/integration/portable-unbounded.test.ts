/**
 * Unbounded sources on portable runners, read as splittable DoFns: an unbounded generated sequence
 * with event times, counted in fixed event-time windows, runs on Prism until it is cancelled, and every
 * window it completed holds exactly the elements the sequence stamped into it. Also an unbounded
 * periodic impulse. Each suite starts its service once.
 */
import { BeamlineError, count, ElementInfo, fixedWindows, generateSequence, groupBy, periodicImpulse, Pipeline, windowInto } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { describeWithPrism } from "./services";

/** Milliseconds of event time between the sequence's elements, and its windows' size. */
const INTERVAL_MS = 10;
const WINDOW_MS = 1000;

/** An unbounded sequence at `rate` elements per second, counted per fixed window; each fired pane goes to `panes` as `start count timing`. */
function windowedCounts(panes: string[], rate: number): Pipeline {
  const p = new Pipeline();
  p.apply("Numbers", generateSequence({ from: 0, ratePerSecond: rate, eventTime: { start: 0, interval: INTERVAL_MS } }))
    .apply("Seconds", windowInto(fixedWindows(WINDOW_MS)))
    .map((n: number) => ({ k: "all", n }), { name: "Key" })
    .apply("PerWindow", groupBy<{ k: string; n: number }>("k").aggregate({ count: count() }))
    .map(
      (r: Record<string, unknown>, info: ElementInfo) => {
        panes.push(`${info.window.start} ${String(r.count)} ${info.pane.timing}`);
        return 0;
      },
      { name: "Collect" },
    );
  return p;
}

/** Runs `p` on `endpoint` for `ms`, then cancels it; resolves to the error the run ended with. */
async function runFor(p: Pipeline, endpoint: string, ms: number): Promise<unknown> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await new PortableRunner({ jobEndpoint: endpoint, runnerName: "prism", signal: abort.signal }).run(p).then(
      () => null,
      (e: unknown) => e,
    );
  } finally {
    clearTimeout(timer);
  }
}

describeWithPrism("Unbounded sources on Prism", (prism) => {
  test("an unbounded event-time sequence, windowed and counted, cancelled after seconds: every window it completed is exact", async () => {
    const panes: string[] = [];
    const end = await runFor(windowedCounts(panes, 200), prism().jobEndpoint, 12_000);
    expect(end).toBeInstanceOf(BeamlineError);
    expect((end as BeamlineError).code).toBe("BL_CANCELLED");
    // At 200 elements a second, a one-second window of event time fills in half a second.
    if (process.env.SHOW_PANES) process.stderr.write(`${panes.join("\n")}\n`);
    const windows = panes.map((l) => l.split(" ")).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(windows.length).toBeGreaterThanOrEqual(6);
    windows.forEach(([start, n, timing], i) => {
      expect(Number(start)).toBe(i * WINDOW_MS);
      expect(Number(n)).toBe(WINDOW_MS / INTERVAL_MS);
      expect(timing).toBe("on_time");
    });
  }, 120_000);

  test("an unbounded periodic impulse emits on time, one element per interval, until cancelled", async () => {
    const seen: number[] = [];
    const p = new Pipeline();
    p.apply("Ticks", periodicImpulse({ interval: 200 })).map(
      (t: number) => {
        seen.push(t);
        return t;
      },
      { name: "Collect" },
    );
    const started = Date.now();
    const end = await runFor(p, prism().jobEndpoint, 6_000);
    expect((end as BeamlineError).code).toBe("BL_CANCELLED");
    expect(seen.length).toBeGreaterThanOrEqual(10);
    const sorted = [...seen].sort((a, b) => a - b);
    // One impulse per interval from the first, none twice, none skipped, none in the future.
    sorted.forEach((t, i) => expect(t - sorted[0]).toBe(i * 200));
    expect(sorted[sorted.length - 1]).toBeLessThanOrEqual(Date.now());
    expect(sorted[0]).toBeGreaterThanOrEqual(started - 1000);
  }, 60_000);
});
