/**
 * Trigger state machines, checked against the fire / not-fire sequences of Beam's runners-core
 * trigger state machine tests, re-expressed with a small driver that plays the windowed grouping
 * operator: it assigns fixed or session windows, merges sessions, moves the watermark and the
 * processing time, and asks the machine whether to fire.
 */
import {
  afterAll, afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, alignedTo,
  BeamlineError, defaultTrigger, never, orFinally, repeatedly, type TriggerSpec,
} from "beamline";
import { TriggerMachine, type TriggerEnv, type TriggerState } from "../../../../runners/direct/panes/trigger-machine";

type Win = { start: number; end: number };
const key = (w: Win) => `${w.start},${w.end}`;

/** Drives one trigger over the windows of a single key. */
class Driver {
  readonly machine: TriggerMachine;
  watermark = -Infinity;
  processingTime = 0;
  /** Active windows and their trigger states. */
  readonly windows = new Map<string, { window: Win; state: TriggerState }>();
  /** Elements offered to finished windows (the operator drops them). */
  dropped = 0;

  constructor(
    spec: TriggerSpec,
    private readonly windowing: { fixed: number } | { sessions: number } | { global: true },
  ) {
    this.machine = new TriggerMachine(spec, { merging: "sessions" in windowing });
  }

  env(window: Win): TriggerEnv {
    return { watermark: this.watermark, processingTime: this.processingTime, window };
  }

  /** Adds elements with these event timestamps. Sessions stay unmerged until {@link merge}. */
  inject(...timestamps: number[]): void {
    for (const ts of timestamps) {
      const w = this.windowOf(ts);
      let entry = this.windows.get(key(w));
      if (!entry) {
        entry = { window: w, state: this.machine.init() };
        this.windows.set(key(w), entry);
      }
      if (this.machine.isFinished(entry.state)) {
        this.dropped++;
        continue;
      }
      this.machine.onElement(entry.state, this.env(w), ts);
    }
  }

  /** Merges overlapping session windows (finished ones too, as Beam's trigger tests do). */
  merge(): void {
    const open = [...this.windows.values()];
    open.sort((a, b) => a.window.start - b.window.start);
    const groups: { window: Win; members: typeof open }[] = [];
    for (const e of open) {
      const last = groups[groups.length - 1];
      if (last && e.window.start < last.window.end) {
        last.members.push(e);
        last.window = { start: last.window.start, end: Math.max(last.window.end, e.window.end) };
      } else groups.push({ window: { ...e.window }, members: [e] });
    }
    for (const g of groups) {
      if (g.members.length < 2) continue;
      for (const m of g.members) this.windows.delete(key(m.window));
      const states = g.members.map((m) => m.state);
      const frozen = JSON.stringify(states);
      const state = this.machine.onMerge(states, this.env(g.window));
      expect(JSON.stringify(states)).toBe(frozen);
      this.windows.set(key(g.window), { window: g.window, state });
    }
  }

  state(w: Win): TriggerState {
    const e = this.windows.get(key(w));
    if (!e) throw new Error(`no window ${key(w)}; have ${[...this.windows.keys()].join(" ")}`);
    return e.state;
  }

  shouldFire(w: Win): boolean {
    return this.machine.shouldFire(this.state(w), this.env(w));
  }

  /** Fires if ready; returns whether it fired. */
  fire(w: Win): boolean {
    if (!this.shouldFire(w)) return false;
    this.machine.onFire(this.state(w), this.env(w));
    return true;
  }

  finished(w: Win): boolean {
    return this.machine.isFinished(this.state(w));
  }

  next(w: Win): number | null {
    return this.machine.nextProcessingTime(this.state(w));
  }

  private windowOf(ts: number): Win {
    const w = this.windowing;
    if ("fixed" in w) {
      const start = ts - (((ts % w.fixed) + w.fixed) % w.fixed);
      return { start, end: start + w.fixed };
    }
    if ("sessions" in w) return { start: ts, end: ts + w.sessions };
    return { start: -9223372036854775, end: 9223372036768376 };
  }
}

const win = (start: number, end: number): Win => ({ start, end });

/** The window is not ready before the watermark passes its end, fires then, and finishes. */
function expectOnTimeOnlyAtEnd(d: Driver, w: Win): void {
  d.watermark = w.end - 1;
  expect(d.shouldFire(w)).toBe(false);
  d.watermark = w.end;
  expect(d.fire(w)).toBe(true);
  expect(d.finished(w)).toBe(true);
}

describe("default trigger", () => {
  test("fires once the watermark is past the end of each fixed window, and keeps firing; never finishes", () => {
    const d = new Driver(defaultTrigger(), { fixed: 100 });
    d.inject(1, 101);
    const first = win(0, 100);
    const second = win(100, 200);
    d.watermark = 99;
    expect(d.shouldFire(first)).toBe(false);
    expect(d.shouldFire(second)).toBe(false);
    d.watermark = 100;
    expect(d.shouldFire(first)).toBe(true);
    expect(d.shouldFire(second)).toBe(false);
    expect(d.fire(first)).toBe(true);
    // Still ready: a late element must produce a late pane.
    expect(d.shouldFire(first)).toBe(true);
    d.inject(5);
    expect(d.dropped).toBe(0);
    expect(d.fire(first)).toBe(true);
    d.watermark = 200;
    expect(d.shouldFire(first)).toBe(true);
    expect(d.shouldFire(second)).toBe(true);
    expect(d.finished(first)).toBe(false);
    expect(d.finished(second)).toBe(false);
    expect(d.machine.usesProcessingTime).toBe(false);
    expect(d.next(first)).toBeNull();
  });

  test("merged sessions fire when the watermark passes the merged window's end", () => {
    const d = new Driver(defaultTrigger(), { sessions: 10 });
    d.inject(1, 2);
    d.merge();
    const merged = win(1, 12);
    d.watermark = 11;
    expect(d.shouldFire(merged)).toBe(false);
    d.watermark = 12;
    expect(d.shouldFire(merged)).toBe(true);
  });
});

describe("afterWatermark", () => {
  test("alone: fires once past the end of the window and finishes; later data is dropped", () => {
    const d = new Driver(afterWatermark(), { fixed: 100 });
    d.inject(1);
    const w = win(0, 100);
    d.watermark = 99;
    expect(d.shouldFire(w)).toBe(false);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.dropped).toBe(1);
  });

  test("early firings repeat before the watermark, then the on-time pane finishes it", () => {
    const d = new Driver(afterWatermark({ early: afterCount(2) }), { fixed: 100 });
    const w = win(0, 100);
    d.watermark = 0;
    d.inject(1);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    // The early trigger was reset: one more element is not enough.
    d.inject(3);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(4);
    expect(d.fire(w)).toBe(true);
    d.inject(5);
    expect(d.shouldFire(w)).toBe(false);
    // On time, whatever the early trigger says.
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("early afterCount(1) with an empty on-time pane (the Python test_stream scenario)", () => {
    const d = new Driver(afterWatermark({ early: afterCount(1) }), { fixed: 15_000 });
    const w = win(0, 15_000);
    d.watermark = 0;
    d.inject(1000);
    expect(d.fire(w)).toBe(true);
    d.inject(2000, 3000);
    expect(d.fire(w)).toBe(true);
    expect(d.shouldFire(w)).toBe(false);
    // No element since the last early pane, yet the watermark passing fires the on-time pane.
    d.watermark = 15_000;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("late firings repeat after the on-time pane and never finish", () => {
    const d = new Driver(afterWatermark({ late: afterCount(1) }), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1);
    d.watermark = 50;
    expect(d.shouldFire(w)).toBe(false);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    // The on-time pane is out; nothing new yet.
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(3);
    d.inject(4);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
  });

  test("elements before the watermark do not count toward the late trigger", () => {
    const d = new Driver(afterWatermark({ early: afterCount(100), late: afterCount(2) }), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1, 2, 3);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    d.inject(4);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(5);
    expect(d.fire(w)).toBe(true);
  });

  test("composite early and late triggers start over entirely after each firing", () => {
    const spec = afterWatermark({
      early: afterFirst(afterCount(2), afterProcessingTime(10)),
      late: afterAll(afterCount(1), afterProcessingTime(5)),
    });
    const d = new Driver(spec, { fixed: 100 });
    const w = win(0, 100);
    d.inject(1, 2);
    expect(d.fire(w)).toBe(true);
    // The count that fired is no longer done: the next early pane needs two new elements or 10 ms.
    expect(d.shouldFire(w)).toBe(false);
    d.processingTime = 3;
    d.inject(3);
    expect(d.shouldFire(w)).toBe(false);
    expect(d.next(w)).toBe(13);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    d.inject(4);
    expect(d.shouldFire(w)).toBe(false);
    d.processingTime = 8;
    expect(d.fire(w)).toBe(true);
    // Both parts of the late afterAll must be met again.
    expect(d.shouldFire(w)).toBe(false);
    d.inject(5);
    expect(d.shouldFire(w)).toBe(false);
    d.processingTime = 13;
    expect(d.fire(w)).toBe(true);
  });

  test("LeaderBoard team scores: early every 5 minutes, late 10 minutes after a pane's first element", () => {
    const MIN = 60_000;
    const spec = afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") });
    const d = new Driver(spec, { fixed: 20 * MIN });
    expect(d.machine.usesProcessingTime).toBe(true);
    const w = win(0, 20 * MIN);
    d.watermark = 0;
    d.processingTime = 0;
    d.inject(1 * MIN);
    expect(d.next(w)).toBe(5 * MIN);
    d.processingTime = 3 * MIN;
    d.inject(2 * MIN);
    // The first element of the pane sets the delay; the second does not push it back.
    expect(d.next(w)).toBe(5 * MIN);
    d.processingTime = 5 * MIN - 1;
    expect(d.shouldFire(w)).toBe(false);
    d.processingTime = 5 * MIN;
    expect(d.fire(w)).toBe(true);
    expect(d.next(w)).toBeNull();
    // No element, no early pane however long we wait.
    d.processingTime = 30 * MIN;
    expect(d.shouldFire(w)).toBe(false);
    d.inject(3 * MIN);
    expect(d.next(w)).toBe(35 * MIN);
    // The watermark passes first: the on-time pane; the early trigger is done.
    d.watermark = 20 * MIN;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    expect(d.next(w)).toBeNull();
    d.processingTime = 36 * MIN;
    expect(d.shouldFire(w)).toBe(false);
    // A late element starts a late pane that fires 10 minutes later.
    d.inject(4 * MIN);
    expect(d.next(w)).toBe(46 * MIN);
    d.processingTime = 40 * MIN;
    d.inject(5 * MIN);
    expect(d.next(w)).toBe(46 * MIN);
    d.processingTime = 45 * MIN;
    expect(d.shouldFire(w)).toBe(false);
    d.processingTime = 46 * MIN;
    expect(d.fire(w)).toBe(true);
    expect(d.next(w)).toBeNull();
    d.processingTime = 50 * MIN;
    d.inject(6 * MIN);
    expect(d.next(w)).toBe(60 * MIN);
    expect(d.finished(w)).toBe(false);
  });

  test("sessions: finished in every merged window and the merged window complete stays finished", () => {
    const d = new Driver(afterWatermark(), { sessions: 10 });
    d.inject(1);
    d.inject(5);
    const first = win(1, 11);
    const second = win(5, 15);
    d.watermark = 15;
    expect(d.fire(first)).toBe(true);
    expect(d.fire(second)).toBe(true);
    d.merge();
    expect(d.finished(win(1, 15))).toBe(true);
  });

  test("sessions: merging with a window not yet on time rewinds to before the watermark", () => {
    const d = new Driver(afterWatermark(), { sessions: 10 });
    d.inject(1);
    d.inject(5);
    const first = win(1, 11);
    d.watermark = 11;
    expect(d.shouldFire(win(5, 15))).toBe(false);
    expect(d.fire(first)).toBe(true);
    expect(d.finished(first)).toBe(true);
    d.merge();
    const merged = win(1, 15);
    expect(d.finished(merged)).toBe(false);
    expectOnTimeOnlyAtEnd(d, merged);
  });

  test("sessions with early and late firings: merging two late windows stays on the late trigger", () => {
    const d = new Driver(afterWatermark({ early: afterCount(100), late: afterCount(1) }), { sessions: 10 });
    d.inject(1);
    d.inject(5);
    const first = win(1, 11);
    const second = win(5, 15);
    d.watermark = 15;
    expect(d.fire(first)).toBe(true);
    expect(d.fire(second)).toBe(true);
    expect(d.shouldFire(first)).toBe(false);
    expect(d.shouldFire(second)).toBe(false);
    d.inject(1);
    d.inject(5);
    expect(d.fire(first)).toBe(true);
    expect(d.fire(second)).toBe(true);
    d.merge();
    const merged = win(1, 15);
    expect(d.shouldFire(merged)).toBe(false);
    d.machine.onElement(d.state(merged), d.env(merged), 1);
    expect(d.shouldFire(merged)).toBe(true);
    expect(d.finished(merged)).toBe(false);
  });

  test("sessions with early and late firings: merging with an early window goes back to early firings", () => {
    const d = new Driver(afterWatermark({ early: afterCount(100), late: afterCount(1) }), { sessions: 10 });
    d.inject(1);
    d.inject(5);
    const first = win(1, 11);
    d.watermark = 11;
    expect(d.fire(first)).toBe(true);
    expect(d.shouldFire(first)).toBe(false);
    d.inject(1);
    expect(d.fire(first)).toBe(true);
    d.merge();
    const merged = win(1, 15);
    expect(d.shouldFire(merged)).toBe(false);
    d.machine.onElement(d.state(merged), d.env(merged), 1);
    // A late element would fire the late trigger; on the early trigger it does not.
    expect(d.shouldFire(merged)).toBe(false);
    d.watermark = 15;
    expect(d.fire(merged)).toBe(true);
  });
});

describe("afterProcessingTime", () => {
  test("fixed windows: ready at the first element's processing time plus the delay, then finished", () => {
    const d = new Driver(afterProcessingTime(5), { fixed: 10 });
    const first = win(0, 10);
    const second = win(10, 20);
    d.processingTime = 10;
    d.inject(1);
    d.processingTime = 12;
    expect(d.shouldFire(first)).toBe(false);
    d.inject(11, 12, 13);
    expect(d.shouldFire(second)).toBe(false);
    d.processingTime = 14;
    expect(d.shouldFire(first)).toBe(false);
    expect(d.shouldFire(second)).toBe(false);
    // Later elements of the first window do not move its deadline.
    d.inject(2, 3);
    expect(d.next(first)).toBe(15);
    expect(d.next(second)).toBe(17);
    d.processingTime = 15;
    expect(d.shouldFire(first)).toBe(true);
    expect(d.shouldFire(second)).toBe(false);
    expect(d.fire(first)).toBe(true);
    expect(d.finished(first)).toBe(true);
    expect(d.next(first)).toBeNull();
    d.inject(5);
    expect(d.dropped).toBe(1);
    d.processingTime = 16;
    expect(d.shouldFire(second)).toBe(false);
    d.processingTime = 17;
    expect(d.fire(second)).toBe(true);
    expect(d.finished(second)).toBe(true);
  });

  test("sessions: the merged pane is ready at the earliest deadline of the merged panes", () => {
    const d = new Driver(afterProcessingTime(5), { sessions: 10 });
    d.processingTime = 10;
    d.inject(1);
    expect(d.shouldFire(win(1, 11))).toBe(false);
    d.processingTime = 12;
    d.inject(3);
    d.merge();
    const merged = win(1, 13);
    expect(d.next(merged)).toBe(15);
    d.processingTime = 14;
    expect(d.shouldFire(merged)).toBe(false);
    d.processingTime = 15;
    expect(d.shouldFire(merged)).toBe(true);
  });

  test("aligned to a period after the delay, as Beam's alignedTo", () => {
    const d = new Driver(afterProcessingTime(2, alignedTo(10, 3)), { fixed: 100 });
    const w = win(0, 100);
    d.processingTime = 12;
    d.inject(1);
    // 12 + 2 = 14, rounded up to the next 3 + 10k: 23.
    expect(d.next(w)).toBe(23);
    const on = new Driver(afterProcessingTime(0, alignedTo(10, 3)), { fixed: 100 });
    on.processingTime = 13;
    on.inject(1);
    expect(on.next(w)).toBe(13);
    expect(on.fire(w)).toBe(true);
  });
});

describe("afterCount", () => {
  test("fixed windows: counts per window, fires at n and finishes", () => {
    const d = new Driver(afterCount(2), { fixed: 10 });
    d.inject(1);
    d.inject(9);
    d.inject(15);
    const first = win(0, 10);
    const second = win(10, 20);
    expect(d.shouldFire(first)).toBe(true);
    expect(d.shouldFire(second)).toBe(false);
    expect(d.fire(first)).toBe(true);
    expect(d.finished(first)).toBe(true);
    expect(d.finished(second)).toBe(false);
    d.inject(2);
    expect(d.dropped).toBe(1);
  });

  test("sessions: counts add up when windows merge", () => {
    const d = new Driver(afterCount(2), { sessions: 10 });
    d.inject(1, 2);
    expect(d.shouldFire(win(1, 11))).toBe(false);
    expect(d.shouldFire(win(2, 12))).toBe(false);
    d.merge();
    const merged = win(1, 12);
    expect(d.fire(merged)).toBe(true);
    expect(d.finished(merged)).toBe(true);
  });

  test("sessions: a count that fired in any merged window leaves the merged window finished", () => {
    const d = new Driver(afterCount(2), { sessions: 10 });
    d.inject(1, 3);
    d.merge();
    expect(d.fire(win(1, 13))).toBe(true);
    d.inject(20);
    d.machine.onElement(d.state(win(1, 13)), d.env(win(1, 13)), 5);
    const merged = d.machine.onMerge([d.state(win(1, 13)), d.state(win(20, 30))], d.env(win(1, 30)));
    expect(d.machine.isFinished(merged)).toBe(true);
  });
});

describe("repeatedly", () => {
  const global = { start: -9223372036854775, end: 9223372036768376 };

  test("count: fires at every n elements and never finishes", () => {
    const d = new Driver(repeatedly(afterCount(5)), { global: true });
    d.inject(1);
    expect(d.shouldFire(global)).toBe(false);
    d.inject(2, 3, 4, 5);
    expect(d.fire(global)).toBe(true);
    expect(d.shouldFire(global)).toBe(false);
    d.inject(6, 7, 8, 9);
    expect(d.shouldFire(global)).toBe(false);
    d.inject(10);
    expect(d.fire(global)).toBe(true);
    expect(d.finished(global)).toBe(false);
  });

  test("processing time: fires 15 minutes after each pane's first element", () => {
    const d = new Driver(repeatedly(afterProcessingTime("15m")), { global: true });
    d.processingTime = 1000;
    d.inject(1);
    expect(d.shouldFire(global)).toBe(false);
    d.processingTime += 15 * 60_000;
    expect(d.fire(global)).toBe(true);
    expect(d.shouldFire(global)).toBe(false);
    expect(d.next(global)).toBeNull();
    d.inject(2);
    expect(d.next(global)).toBe(1000 + 30 * 60_000);
  });

  test("afterFirst of count and processing time, by count and by time", () => {
    const spec = repeatedly(afterFirst(afterProcessingTime("15m"), afterCount(5)));
    const d = new Driver(spec, { global: true });
    d.inject(1);
    expect(d.shouldFire(global)).toBe(false);
    d.inject(2, 3, 4, 5);
    expect(d.fire(global)).toBe(true);
    expect(d.shouldFire(global)).toBe(false);
    // The processing-time part was cleared with the pane: its deadline restarts with the next element.
    expect(d.next(global)).toBeNull();
    d.processingTime = 60_000;
    d.inject(6);
    d.processingTime += 15 * 60_000;
    expect(d.fire(global)).toBe(true);
    expect(d.shouldFire(global)).toBe(false);
    d.inject(7, 8, 9, 10);
    // The count was cleared when time fired the pane.
    expect(d.shouldFire(global)).toBe(false);
  });

  test("of the watermark trigger behaves as the default trigger", () => {
    const d = new Driver(repeatedly(afterWatermark()), { fixed: 100 });
    d.inject(1);
    const w = win(0, 100);
    d.watermark = 99;
    expect(d.shouldFire(w)).toBe(false);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    expect(d.shouldFire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
  });
});

describe("afterEach", () => {
  test("runs its triggers in sequence; orFinally's until counts across firings", () => {
    const spec = afterEach(
      orFinally(repeatedly(afterCount(2)), afterCount(3)),
      orFinally(repeatedly(afterCount(5)), afterWatermark()),
    );
    const d = new Driver(spec, { fixed: 10 });
    const w = win(0, 10);
    d.inject(1);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    // Three elements: the until count reaches 5 >= 3, which ends the first trigger.
    d.inject(1, 2, 3);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    // Now on the second trigger, which has seen nothing yet.
    expect(d.shouldFire(w)).toBe(false);
    d.inject(3, 4, 5, 6);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(7);
    expect(d.fire(w)).toBe(true);
    expect(d.shouldFire(w)).toBe(false);
    d.watermark = 400;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("once triggers in sequence: each fires once, then the whole finishes", () => {
    const d = new Driver(afterEach(afterCount(2), afterCount(1), afterProcessingTime(10)), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    d.inject(3);
    expect(d.fire(w)).toBe(true);
    expect(d.next(w)).toBeNull();
    d.processingTime = 5;
    d.inject(4);
    expect(d.next(w)).toBe(15);
    d.processingTime = 15;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("sessions: a trigger finished in a merged window stays finished; the next one counts the merged pane", () => {
    const d = new Driver(afterEach(afterCount(1), afterCount(3)), { sessions: 10 });
    d.inject(1);
    expect(d.fire(win(1, 11))).toBe(true);
    // Elements 2 and 5 open windows of their own, where both counts run in parallel.
    d.inject(2, 5);
    d.merge();
    const merged = win(1, 15);
    // The first count fired in one merged window: it stays done. The second has the pane's 2 elements.
    expect(d.shouldFire(merged)).toBe(false);
    d.machine.onElement(d.state(merged), d.env(merged), 6);
    expect(d.fire(merged)).toBe(true);
    expect(d.finished(merged)).toBe(true);
  });

  test("sessions: triggers after the first unfinished one start afresh at a merge", () => {
    const d = new Driver(afterEach(afterCount(3), afterCount(2)), { sessions: 10 });
    d.inject(1, 2);
    d.merge();
    const merged = win(1, 12);
    // Both counts saw the two elements, but only the first one's count survives the merge.
    expect(d.state(merged).parts![1].count).toBe(0);
    d.machine.onElement(d.state(merged), d.env(merged), 3);
    expect(d.fire(merged)).toBe(true);
    d.machine.onElement(d.state(merged), d.env(merged), 4);
    expect(d.shouldFire(merged)).toBe(false);
    d.machine.onElement(d.state(merged), d.env(merged), 5);
    expect(d.fire(merged)).toBe(true);
    expect(d.finished(merged)).toBe(true);
  });
});

describe("afterFirst", () => {
  test("fires once when either trigger is ready, whichever it is", () => {
    for (const order of [0, 1]) {
      const parts = [afterCount(3), afterProcessingTime(10)];
      const d = new Driver(afterFirst(...(order ? parts.reverse() : parts)), { fixed: 100 });
      const w = win(0, 100);
      d.inject(1, 2);
      expect(d.shouldFire(w)).toBe(false);
      expect(d.next(w)).toBe(10);
      d.processingTime = 10;
      expect(d.fire(w)).toBe(true);
      expect(d.finished(w)).toBe(true);
    }
    const d = new Driver(afterFirst(afterCount(3), afterProcessingTime(10)), { fixed: 100 });
    d.inject(1, 2, 3);
    expect(d.fire(win(0, 100))).toBe(true);
    expect(d.finished(win(0, 100))).toBe(true);
  });

  test("sessions: merging a finished window with an unfinished one is not ready before the merged end", () => {
    const d = new Driver(afterFirst(afterCount(5), afterWatermark()), { sessions: 10 });
    d.inject(1);
    const first = win(1, 11);
    expect(d.shouldFire(first)).toBe(false);
    d.watermark = 11;
    expect(d.fire(first)).toBe(true);
    expect(d.finished(first)).toBe(true);
    d.inject(5);
    expect(d.dropped).toBe(0);
    expect(d.shouldFire(win(5, 15))).toBe(false);
    d.merge();
    const merged = win(1, 15);
    expectOnTimeOnlyAtEnd(d, merged);
  });
});

describe("afterAll", () => {
  test("fires once when both counts are reached, in either order", () => {
    for (const spec of [afterAll(afterCount(1), afterCount(2)), afterAll(afterCount(2), afterCount(1))]) {
      const d = new Driver(spec, { fixed: 100 });
      const w = win(0, 100);
      d.inject(1);
      expect(d.shouldFire(w)).toBe(false);
      d.inject(2);
      expect(d.fire(w)).toBe(true);
      expect(d.finished(w)).toBe(true);
    }
  });

  test("watermark and count: ready only when both are", () => {
    const d = new Driver(afterAll(afterWatermark(), afterCount(2)), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1);
    d.watermark = 100;
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("sessions: merging with a window where it fired needs the rest again", () => {
    const d = new Driver(afterAll(afterWatermark(), afterCount(1)), { sessions: 10 });
    d.inject(1);
    expect(d.shouldFire(win(1, 11))).toBe(false);
    d.inject(5);
    d.watermark = 11;
    expect(d.fire(win(1, 11))).toBe(true);
    expect(d.finished(win(1, 11))).toBe(true);
    d.merge();
    const merged = win(1, 15);
    expect(d.finished(merged)).toBe(false);
    expect(d.shouldFire(merged)).toBe(false);
    d.watermark = 15;
    expect(d.fire(merged)).toBe(true);
  });
});

describe("orFinally", () => {
  test("a once trigger that fires finishes the whole", () => {
    const d = new Driver(orFinally(afterCount(2), afterCount(100)), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1);
    expect(d.shouldFire(w)).toBe(false);
    expect(d.finished(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("a repeated main trigger keeps firing until `until` fires", () => {
    const d = new Driver(orFinally(repeatedly(afterCount(2)), afterCount(100)), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1, 2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    d.inject(3, 4);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
  });

  test("until counts across the main trigger's firings", () => {
    const d = new Driver(orFinally(repeatedly(afterCount(2)), afterCount(3)), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1, 2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    // One more element: the main count is at 1, but until has seen 3.
    d.inject(3);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
  });

  test("until fires: a last pane, then finished", () => {
    const d = new Driver(orFinally(repeatedly(afterCount(2)), afterWatermark()), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1);
    expect(d.shouldFire(w)).toBe(false);
    d.inject(2);
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(false);
    d.inject(3);
    d.watermark = 100;
    expect(d.fire(w)).toBe(true);
    expect(d.finished(w)).toBe(true);
    d.inject(4);
    expect(d.dropped).toBe(1);
  });

  test("sessions: a window finished by until merged with an open one is open again", () => {
    const d = new Driver(orFinally(afterCount(5), afterWatermark()), { sessions: 10 });
    d.inject(1);
    d.watermark = 11;
    expect(d.fire(win(1, 11))).toBe(true);
    expect(d.finished(win(1, 11))).toBe(true);
    d.inject(5);
    d.merge();
    const merged = win(1, 15);
    expectOnTimeOnlyAtEnd(d, merged);
  });
});

describe("never", () => {
  test("never fires, whatever happens", () => {
    const d = new Driver(never(), { fixed: 100 });
    const w = win(0, 100);
    d.inject(1, 2, 3);
    d.watermark = 1e12;
    d.processingTime = 1e12;
    expect(d.shouldFire(w)).toBe(false);
    expect(d.finished(w)).toBe(false);
    expect(d.next(w)).toBeNull();
  });
});

describe("state", () => {
  test("survives a structured-clone and a JSON round trip mid-run", () => {
    const spec = afterWatermark({ early: afterFirst(afterCount(3), afterProcessingTime("1m")), late: afterCount(2) });
    const m = new TriggerMachine(spec);
    const w = win(0, 1000);
    const env = (watermark: number, processingTime: number): TriggerEnv => ({ watermark, processingTime, window: w });
    const s = m.init();
    m.onElement(s, env(0, 100), 1);
    m.onElement(s, env(0, 200), 2);
    for (const copy of [structuredClone(s), JSON.parse(JSON.stringify(s)) as TriggerState]) {
      expect(copy).toEqual(s);
      expect(m.nextProcessingTime(copy)).toBe(60_100);
      expect(m.shouldFire(copy, env(0, 60_099))).toBe(false);
      m.onElement(copy, env(0, 300), 3);
      expect(m.shouldFire(copy, env(0, 300))).toBe(true);
      m.onFire(copy, env(0, 300));
      expect(m.nextProcessingTime(copy)).toBeNull();
      expect(m.shouldFire(copy, env(1000, 400))).toBe(true);
      m.onFire(copy, env(1000, 400));
      const late = structuredClone(copy);
      m.onElement(late, env(1000, 500), 4);
      expect(m.shouldFire(late, env(1000, 500))).toBe(false);
      m.onElement(late, env(1000, 500), 5);
      expect(m.shouldFire(late, env(1000, 500))).toBe(true);
    }
    // The original was not touched by work on the copies.
    expect(m.nextProcessingTime(s)).toBe(60_100);
  });

  test("onMerge needs a machine built for merging windows", () => {
    const m = new TriggerMachine(afterCount(2));
    const env: TriggerEnv = { watermark: 0, processingTime: 0, window: win(0, 10) };
    expect(() => m.onMerge([m.init(), m.init()], env)).toThrow(BeamlineError);
    expect(() => m.onMerge([m.init()], env)).toThrow(/merging: true/);
  });

  test("a spec read back from JSON builds the same machine; a bad one is refused", () => {
    const spec = JSON.parse(JSON.stringify(repeatedly(afterCount(2)))) as TriggerSpec;
    const m = new TriggerMachine(spec);
    const s = m.init();
    const env: TriggerEnv = { watermark: 0, processingTime: 0, window: win(0, 10) };
    m.onElement(s, env, 1);
    expect(m.shouldFire(s, env)).toBe(false);
    m.onElement(s, env, 2);
    expect(m.shouldFire(s, env)).toBe(true);
    expect(() => new TriggerMachine({ kind: "afterCount", count: 0 } as TriggerSpec)).toThrow(/afterCount/);
    expect(() => new TriggerMachine({ kind: "sometimes" } as unknown as TriggerSpec)).toThrow(/unknown kind/);
  });
});
