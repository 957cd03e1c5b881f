/** Generated sources: sequences (bounded, paced, unbounded until cancelled) and the periodic impulse. */
import { collect, generateSequence, MIN_TIMESTAMP, periodicImpulse, Pipeline, runPipeline } from "beamline";
import { ImpulseSource } from "../../transforms/sources";

test("a bounded sequence yields each number once, at the minimum timestamp, split into parts", async () => {
  const p = new Pipeline();
  const c = collect(p.apply(generateSequence({ from: 5, to: 20_005, batchSize: 1000 })));
  await runPipeline(p, { parallelism: 1 });
  const values = c.elements.map((e) => e.value).sort((a, b) => a - b);
  expect(values).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 5));
  expect(c.elements.every((e) => e.timestamp === MIN_TIMESTAMP)).toBe(true);
});

test("event time: element i is stamped start + i * interval, and the watermark follows", async () => {
  const p = new Pipeline();
  const c = collect(p.apply(generateSequence({ to: 100, batchSize: 7, eventTime: { start: 1_000, interval: "1s" } })));
  const result = await runPipeline(p, { parallelism: 1 });
  expect(c.elements.map((e) => [e.value, e.timestamp])).toEqual(Array.from({ length: 100 }, (_, i) => [i, 1_000 + i * 1_000]));
  expect(result.metrics.watermarks.get("GenerateSequence")).toBeGreaterThan(1_000 + 99 * 1_000);
});

test("a paced sequence stamps processing time and does not outrun its rate", async () => {
  const p = new Pipeline();
  const c = collect(p.apply(generateSequence({ to: 60, ratePerSecond: 300 })));
  const started = Date.now();
  await runPipeline(p, { parallelism: 1 });
  const elapsed = Date.now() - started;
  // 60 elements at 300/s cannot all be out before ~200 ms.
  expect(elapsed).toBeGreaterThanOrEqual(150);
  const ts = c.elements.map((e) => e.timestamp);
  expect(ts.every((t) => t >= started - 5 && t <= Date.now())).toBe(true);
  expect(ts.slice(1).every((t, i) => t >= ts[i])).toBe(true);
});

test("an unbounded sequence runs until cancelled, then the run rejects as cancelled and commits nothing", async () => {
  const p = new Pipeline();
  const c = collect(p.apply(generateSequence({ ratePerSecond: 2_000 })));
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 150);
  await expect(runPipeline(p, { parallelism: 1, signal: abort.signal })).rejects.toMatchObject({ code: "BL_CANCELLED" });
  expect(c.elements).toEqual([]);
});

test("the periodic impulse emits its own timestamp every interval until it stops", async () => {
  const start = Date.now() + 20;
  const p = new Pipeline();
  const c = collect(p.apply(periodicImpulse({ interval: 30, start, stop: start + 150, applyWindowing: true })));
  await runPipeline(p, { parallelism: 1 });
  expect(c.elements.map((e) => e.value)).toEqual([0, 1, 2, 3, 4, 5].map((k) => start + k * 30));
  expect(c.elements.map((e) => e.timestamp)).toEqual([0, 1, 2, 3, 4, 5].map((k) => start + k * 30));
  expect(c.elements.every((e) => e.window.end - e.window.start === 30)).toBe(true);
});

test("bad options fail at construction with the value and a fix", () => {
  expect(() => generateSequence({ from: 10, to: 5 })).toThrow(/to must be an integer at or after from \(10\)/);
  expect(() => generateSequence({ ratePerSecond: 0 })).toThrow(/ratePerSecond must be positive/);
  expect(() => periodicImpulse({ interval: 0 })).toThrow(/positive duration/);
});

test("a periodic impulse without a start resumed from a position keeps its schedule: the next impulse, at first + k * interval", async () => {
  const source = new ImpulseSource({ interval: 20 });
  const first: { at: number; position: unknown }[] = [];
  for await (const chunk of source.read(0, null)) {
    first.push({ at: chunk.batch!.timestamps[0], position: chunk.position });
    if (first.length === 3) break;
  }
  await new Promise((r) => setTimeout(r, 50));
  const resumed: number[] = [];
  for await (const chunk of source.read(0, first[2].position as never)) {
    resumed.push(chunk.batch!.timestamps[0]);
    if (resumed.length === 2) break;
  }
  const t0 = first[0].at;
  expect(first.map((f) => f.at)).toEqual([t0, t0 + 20, t0 + 40]);
  expect(resumed).toEqual([t0 + 60, t0 + 80]);
});

test("a periodic impulse is never emitted before its time, even when a sleep wakes early", async () => {
  // A clock whose sleeps end a millisecond short of what they were asked for, as timers may by the wall clock.
  let now = 1_000;
  const ctx = {
    processingTime: () => now,
    sleep: async (ms: number) => {
      now += Math.max(1, ms - 1);
      return true;
    },
    cancelled: false,
  };
  const source = new ImpulseSource({ interval: 100, start: 1_050 });
  const emitted: { at: number; clock: number }[] = [];
  for await (const chunk of source.read(0, null, ctx as never)) {
    emitted.push({ at: chunk.batch!.timestamps[0], clock: now });
    if (emitted.length === 3) break;
  }
  expect(emitted.map((e) => e.at)).toEqual([1_050, 1_150, 1_250]);
  for (const e of emitted) expect(e.clock).toBeGreaterThanOrEqual(e.at);
});
