import { LiveMetrics } from "../../../runners/metrics/live";
import { FIELD, InstanceSample, TRANSFORM_FIELDS } from "../../../runners/metrics/sample";

/** A sample of instance `instance` at `at` where transform A has `rows` rows out and B `rows` rows in. */
function sample(instance: number, at: number, rows: number, extra: Partial<InstanceSample> = {}): InstanceSample {
  const values = new Array(2 * TRANSFORM_FIELDS.length).fill(0);
  values[FIELD.rowsOut] = rows;
  values[FIELD.processingMs] = rows / 10;
  values[TRANSFORM_FIELDS.length + FIELD.rowsIn] = rows;
  return { instance, at, transforms: ["A", "B"], values, watermarks: [1000 + instance, 500], counters: [["B", [["droppedLateRows", rows / 100]]]], backlog: [], user: [], ...extra };
}

describe("LiveMetrics", () => {
  test("keeps each instance's latest sample and sums the instances", () => {
    const live = new LiveMetrics();
    live.record(sample(0, 10, 100));
    live.record(sample(1, 10, 300));
    live.record(sample(0, 20, 200));
    live.record(sample(0, 15, 150)); // arrived late: older than what is kept
    expect(live.totals().get("A")).toMatchObject({ rowsOut: 500, processingMs: 50, rowsIn: 0 });
    expect(live.totals().get("B")).toMatchObject({ rowsIn: 500 });
    const rows = live.transforms().filter((r) => r.transform === "A");
    expect(rows.map((r) => [r.instance, r.values[FIELD.rowsOut], r.watermark])).toEqual([
      [0, 200, 1000],
      [1, 300, 1001],
    ]);
    expect(live.counters().map((c) => [c.instance, c.counter, c.value])).toEqual([
      [0, "droppedLateRows", 2],
      [1, "droppedLateRows", 3],
    ]);
  });

  test("after a restart, what the failed attempt counted carries over: totals never go back", () => {
    const live = new LiveMetrics();
    live.record(sample(0, 10, 100));
    live.record(sample(1, 10, 300));
    live.restarted();
    expect(live.restarts).toBe(1);
    // The new attempt's instances count from zero again.
    live.record(sample(0, 30, 50));
    expect(live.totals().get("A")!.rowsOut).toBe(450);
    const byInstance = new Map(live.transforms().filter((r) => r.transform === "A").map((r) => [r.instance, r]));
    expect(byInstance.get(0)!.values[FIELD.rowsOut]).toBe(150);
    // Instance 1 has not reported in this attempt: its carried totals stay, with no watermark.
    expect(byInstance.get(1)!.values[FIELD.rowsOut]).toBe(300);
    expect(byInstance.get(1)!.watermark).toBeUndefined();
    expect(live.counters().find((c) => c.instance === 0)!.value).toBe(1 + 0.5);
  });

  test("backlog and user metrics come from the latest samples, user metrics merged over instances", () => {
    const live = new LiveMetrics();
    const user = (value: number) => [{ step: "A", namespace: "ns", name: "c", kind: "counter" as const, value }];
    live.record(sample(0, 10, 1, { backlog: [{ transform: "A", partition: "p0", records: 7 }], user: user(2) }));
    live.record(sample(1, 10, 1, { backlog: [{ transform: "A", partition: "p1", records: 3 }], user: user(5) }));
    expect(live.backlog()).toEqual([
      { transform: "A", partition: "p0", records: 7, instance: 0 },
      { transform: "A", partition: "p1", records: 3, instance: 1 },
    ]);
    expect(live.user()).toEqual(user(7));
  });
});
