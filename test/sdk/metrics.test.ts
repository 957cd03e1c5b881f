import { metrics, MetricResults, type UserMetricValue } from "beamline";
import { MetricsCell, mergeUserMetrics, withMetricsContainer } from "../../sdk/metrics";

describe("user metrics", () => {
  test("counters, distributions and gauges update the container of the running transform, and nothing outside one", () => {
    const c = metrics.counter("n", "ns");
    const d = metrics.distribution("d", "ns");
    const g = metrics.gauge("g");
    c.inc(); // outside any container: ignored
    const cell = new MetricsCell();
    withMetricsContainer(cell, () => {
      c.inc(3);
      c.dec();
      d.update(5);
      d.update(-2.7);
      g.set(7);
      g.set(9.9);
    });
    const results = cell.results("T");
    expect(results.find((r) => r.kind === "counter")).toEqual({ step: "T", namespace: "ns", name: "n", kind: "counter", value: 2 });
    expect(results.find((r) => r.kind === "distribution")?.value).toEqual({ count: 2, sum: 3, min: -2, max: 5 });
    const gauge = results.find((r) => r.kind === "gauge");
    expect(gauge).toMatchObject({ namespace: "beamline", name: "g", value: { value: 9 } });
    expect(gauge!.kind === "gauge" && Math.abs(gauge!.value.timestamp - Date.now()) < 5000).toBe(true);
  });

  test("values from several workers merge: counters add, distributions combine, the latest gauge wins", () => {
    const key = { step: "T", namespace: "ns" };
    const merged = mergeUserMetrics([
      { ...key, name: "c", kind: "counter", value: 2 },
      { ...key, name: "c", kind: "counter", value: 5 },
      { ...key, name: "d", kind: "distribution", value: { count: 1, sum: 4, min: 4, max: 4 } },
      { ...key, name: "d", kind: "distribution", value: { count: 2, sum: 3, min: -1, max: 4 } },
      { ...key, name: "g", kind: "gauge", value: { value: 1, timestamp: 200 } },
      { ...key, name: "g", kind: "gauge", value: { value: 2, timestamp: 100 } },
      { step: "U", namespace: "ns", name: "c", kind: "counter", value: 1 },
    ]);
    const byName = (step: string, name: string) => merged.find((m) => m.step === step && m.name === name)?.value;
    expect(byName("T", "c")).toBe(7);
    expect(byName("T", "d")).toEqual({ count: 3, sum: 7, min: -1, max: 4 });
    expect(byName("T", "g")).toEqual({ value: 1, timestamp: 200 });
    expect(byName("U", "c")).toBe(1);
  });
});

describe("MetricResults.query", () => {
  const all: UserMetricValue[] = [
    { step: "Ingest/Parse/Map", namespace: "app", name: "parsed", kind: "counter", value: 10 },
    { step: "Parse", namespace: "app", name: "parsed", kind: "counter", value: 3 },
    { step: "Parser", namespace: "app", name: "parsed", kind: "counter", value: 1 },
    { step: "Parse", namespace: "other", name: "sizes", kind: "distribution", value: { count: 1, sum: 2, min: 2, max: 2 } },
    { step: "Write", namespace: "app", name: "queue", kind: "gauge", value: { value: 4, timestamp: 1 } },
  ];
  const results = new MetricResults(all);

  test("without a filter, every metric by kind, sorted by step", () => {
    const r = results.query();
    expect(r.counters.map((c) => c.step)).toEqual(["Ingest/Parse/Map", "Parse", "Parser"]);
    expect(r.distributions).toHaveLength(1);
    expect(r.gauges).toEqual([{ step: "Write", namespace: "app", name: "queue", attempted: { value: 4, timestamp: 1 }, committed: { value: 4, timestamp: 1 } }]);
  });

  test("a step matches whole path segments, as in Beam", () => {
    expect(results.query({ step: "Parse" }).counters.map((c) => c.step)).toEqual(["Ingest/Parse/Map", "Parse"]);
    expect(results.query({ step: "Ingest/Parse" }).counters.map((c) => c.step)).toEqual(["Ingest/Parse/Map"]);
    expect(results.query({ step: "Pars" }).counters).toEqual([]);
  });

  test("namespace and name match exactly, and an array matches any of its values", () => {
    expect(results.query({ namespace: "other" }).distributions.map((d) => d.name)).toEqual(["sizes"]);
    expect(results.query({ namespace: "other" }).counters).toEqual([]);
    expect(results.query({ name: ["queue", "sizes"] })).toMatchObject({ counters: [], distributions: [{ name: "sizes" }], gauges: [{ name: "queue" }] });
    expect(results.query({ step: "Parse", namespace: "app", name: "parsed" }).counters.map((c) => c.attempted)).toEqual([10, 3]);
  });

  test("a runner that cannot tell committed values apart leaves them undefined", () => {
    expect(new MetricResults(all, false).query({ step: "Parser" }).counters).toEqual([{ step: "Parser", namespace: "app", name: "parsed", attempted: 1, committed: undefined }]);
  });
});
