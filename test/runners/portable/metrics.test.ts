/**
 * User metrics as Beam monitoring infos: counters and distributions of a bundle encode as Beam's
 * sum_int64 and distribution_int64 payloads with PTRANSFORM, NAMESPACE and NAME labels, short ids name
 * each info once, and a job's infos (one per stage or worker) sum back per transform and name.
 */
import { metrics } from "beamline";
import { MetricsCell, withMetricsContainer } from "../../../sdk/metrics";
import {
  formatUserMetrics, MonitoringShortIds, USER_DISTRIBUTION_INT64_URN, USER_LATEST_INT64_URN, USER_SUM_INT64_URN, userMetricInfos, userMetricResults, userMetricsFromInfos,
} from "../../../runners/portable/harness/metrics";
import { countersOf } from "../../../runners/portable-runners";

function bundle(): Map<string, MetricsCell> {
  const cell = new MetricsCell();
  const seen = metrics.counter("seen");
  const size = metrics.distribution("size", "app");
  withMetricsContainer(cell, () => {
    seen.inc();
    seen.inc(4);
    seen.dec();
    size.update(3);
    size.update(-2);
    size.update(10);
  });
  // Outside a runner's call of user code, updates go nowhere.
  seen.inc(100);
  return new Map([["Parse", cell]]);
}

test("counters and distributions encode as Beam's user monitoring infos", () => {
  const infos = userMetricInfos(bundle());
  expect(infos).toHaveLength(2);
  const sum = infos.find((i) => i.urn === USER_SUM_INT64_URN)!;
  expect(sum.type).toBe("beam:metrics:sum_int64:v1");
  expect(sum.labels).toEqual({ PTRANSFORM: "Parse", NAMESPACE: "beamline", NAME: "seen" });
  expect(Buffer.from(sum.payload).toString("hex")).toBe("04");
  const dist = infos.find((i) => i.urn === USER_DISTRIBUTION_INT64_URN)!;
  expect(dist.type).toBe("beam:metrics:distribution_int64:v1");
  expect(dist.labels).toEqual({ PTRANSFORM: "Parse", NAMESPACE: "app", NAME: "size" });
  // count 3, sum 11, min -2 (a 64-bit two's complement varint), max 10.
  expect(Buffer.from(dist.payload).toString("hex")).toBe(`030b${"feffffffffffffffff01"}0a`);
});

test("a job's infos from several bundles sum back per transform and name; the CLI lines", () => {
  const infos = [...userMetricInfos(bundle()), ...userMetricInfos(bundle())];
  const back = userMetricsFromInfos(infos);
  expect(back).toEqual([
    { transform: "Parse", namespace: "beamline", name: "seen", value: 8 },
    { transform: "Parse", namespace: "app", name: "size", value: { count: 6, sum: 22, min: -2, max: 10 } },
  ]);
  expect(formatUserMetrics(back)).toEqual(["Parse: seen=8, size=6/22/-2/10 (count/sum/min/max)"]);
});

test("short ids name each monitoring info once and resolve to its URN, type and labels", () => {
  const ids = new MonitoringShortIds();
  const infos = userMetricInfos(bundle());
  const first = ids.data(infos);
  const second = ids.data(userMetricInfos(bundle()));
  expect(Object.keys(first).sort()).toEqual(Object.keys(second).sort());
  const meta = ids.metadata([...Object.keys(first), "unknown"]);
  expect(Object.keys(meta).sort()).toEqual(Object.keys(first).sort());
  for (const [id, payload] of Object.entries(first)) {
    const info = infos.find((i) => i.urn === meta[id].urn && i.labels.NAME === meta[id].labels.NAME)!;
    expect(Buffer.from(payload)).toEqual(Buffer.from(info.payload));
  }
});

test("gauges encode as Beam's latest_int64 infos; the latest of several bundles wins; results query like the direct runner's", () => {
  const queued = metrics.gauge("queued", "app");
  const at = (value: number, timestamp: number) => {
    const cell = new MetricsCell();
    withMetricsContainer(cell, () => queued.set(value));
    // The time a gauge was set, made explicit for the test.
    const k = [...cell.gauges.keys()][0];
    cell.gauges.set(k, { ...cell.gauges.get(k)!, data: { value, timestamp } });
    return userMetricInfos(new Map([["Buffer", cell]]));
  };
  const [info] = at(-3, 300);
  expect(info.urn).toBe(USER_LATEST_INT64_URN);
  expect(info.type).toBe("beam:metrics:latest_int64:v1");
  expect(info.labels).toEqual({ PTRANSFORM: "Buffer", NAMESPACE: "app", NAME: "queued" });
  // timestamp 300 (varint ac 02), then -3 as a 64-bit two's complement varint.
  expect(Buffer.from(info.payload).toString("hex")).toBe("ac02fdffffffffffffffff01");
  const back = userMetricsFromInfos([...at(-3, 300), ...at(8, 200), ...userMetricInfos(bundle())]);
  expect(back.find((m) => m.name === "queued")).toEqual({ transform: "Buffer", namespace: "app", name: "queued", value: { timestamp: 300, value: -3 } });
  expect(formatUserMetrics(back)).toContain("Buffer: queued=-3 (latest)");
  // A gauge is no named counter.
  expect(countersOf(back).get("Buffer")).toBeUndefined();
  const q = userMetricResults(back).query({ namespace: "app" });
  expect(q.gauges).toEqual([{ step: "Buffer", namespace: "app", name: "queued", attempted: { timestamp: 300, value: -3 }, committed: undefined }]);
  expect(q.distributions.map((d) => [d.step, d.attempted.count])).toEqual([["Parse", 3]]);
  expect(q.counters).toEqual([]);
});
