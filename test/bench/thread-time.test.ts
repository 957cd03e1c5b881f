import { median, scalingCeiling, threadTime, type ProbeEvent } from "../../bench/thread-time";

/** A probe line with defaults. */
function ev(event: string, tid: number, cpu: number, extra: Partial<ProbeEvent> = {}): ProbeEvent {
  return { event, tid, main: tid === 1, t: cpu, cpu, runQueue: 0, idle: 0, active: 0, ...extra };
}

describe("thread time", () => {
  test("splits a parallel run's CPU into the main thread, the worker's start-up and run, and helper threads", () => {
    const events: ProbeEvent[] = [
      ev("start", 1, 100, { t: 0, idle: 5, threads: { 1: 100, 7: 50, 8: 10 } }),
      ev("run-posted", 1, 120),
      ev("loaded", 9, 30),
      ev("ready", 9, 90),
      ev("run-received", 9, 91, { idle: 2 }),
      ev("done", 9, 290, { idle: 12 }),
      ev("worker-done", 1, 300),
      ev("end", 1, 340, { t: 1000, idle: 45, threads: { 1: 340, 7: 150, 8: 30, 12: 20 } }),
    ];
    const t = threadTime(events, 2);
    expect(t).toMatchObject({ wall: 1000, mainCpu: 240, mainIdle: 40, mainBeforeSpawn: 20, mainUntilWorkersDone: 200, mainAfterWorkersDone: 40 });
    expect(t.workers).toEqual([{ startCpu: 90, runCpu: 200, runIdle: 10 }]);
    // threads 7 and 8 ran 100 + 20 ms over the span; thread 12 started during it (20 ms)
    expect(t.helpers).toBe(140);
    expect(t.total).toBe(240 + 90 + 200 + 140);
    // the worker's chain (20 before the spawn, 90 start-up, 200 run) is longer than the main thread's 200
    expect(t.criticalPath).toBe(310 + 40);
    expect(t.quietEstimate).toBe(Math.max(350, 670 / 2));
    expect(threadTime(events, 1).quietEstimate).toBe(670);
  });

  test("a run on one thread is bound by its main thread or by all its CPU over the cores", () => {
    const events = [ev("start", 1, 0, { threads: { 1: 0, 7: 0 } }), ev("end", 1, 400, { threads: { 1: 400, 7: 300 } })];
    expect(threadTime(events, 2)).toMatchObject({ mainCpu: 400, helpers: 300, criticalPath: 400, quietEstimate: 400 });
    expect(threadTime(events, 1).quietEstimate).toBe(700);
  });

  test("the scaling ceiling: what a run at one thread leaves of the cores", () => {
    // main 400 ms, helpers 300 ms on 2 cores: a run spending at least 700 ms takes at least 350 ms.
    const p1 = threadTime([ev("start", 1, 0, { threads: { 1: 0, 7: 0 } }), ev("end", 1, 400, { threads: { 1: 400, 7: 300 } })], 2);
    expect(scalingCeiling(p1, 2)).toBeCloseTo(400 / 350);
    // no helpers: two cores could double it
    const alone = threadTime([ev("start", 1, 0, { threads: { 1: 0 } }), ev("end", 1, 400, { threads: { 1: 400 } })], 2);
    expect(scalingCeiling(alone, 2)).toBe(2);
    // on one core nothing can gain
    expect(scalingCeiling(threadTime([ev("start", 1, 0, { threads: { 1: 0, 7: 0 } }), ev("end", 1, 400, { threads: { 1: 400, 7: 300 } })], 1), 1)).toBe(1);
  });

  test("a probe file without the measured span is refused", () => {
    expect(() => threadTime([ev("loaded", 9, 1)], 2)).toThrow(/no measured span/);
  });

  test("median", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
