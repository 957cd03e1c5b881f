/**
 * User metrics as Beam monitoring infos: a counter is `beam:metric:user:sum_int64:v1` (type
 * `beam:metrics:sum_int64:v1`, payload one varint), a distribution `beam:metric:user:distribution_int64:v1`
 * (type `beam:metrics:distribution_int64:v1`, payload varints count, sum, min, max), a gauge
 * `beam:metric:user:latest_int64:v1` (type `beam:metrics:latest_int64:v1`, payload varints timestamp in ms
 * and value), all labelled with the transform (PTRANSFORM), NAMESPACE and NAME. The harness reports them per bundle; the job client
 * reads a job's aggregated values back with {@link userMetricsFromInfos}.
 */
import { MetricResults, type DistributionData, type GaugeData, type MetricsCell, type UserMetricValue } from "../../../sdk/metrics";
import { ByteReader, ByteWriter } from "../coders/wire";

/** The URN of a user counter. */
export const USER_SUM_INT64_URN = "beam:metric:user:sum_int64:v1";
/** The URN of a user distribution. */
export const USER_DISTRIBUTION_INT64_URN = "beam:metric:user:distribution_int64:v1";
/** The URN of a user gauge. */
export const USER_LATEST_INT64_URN = "beam:metric:user:latest_int64:v1";
const SUM_INT64_TYPE = "beam:metrics:sum_int64:v1";
const DISTRIBUTION_INT64_TYPE = "beam:metrics:distribution_int64:v1";
const LATEST_INT64_TYPE = "beam:metrics:latest_int64:v1";

/** A MonitoringInfo as protobufjs takes and gives it. */
export interface MonitoringInfo {
  urn: string;
  type: string;
  payload: Uint8Array;
  labels: Record<string, string>;
}

/** One user metric of a job, as reported by the runner. */
export interface UserMetric {
  readonly transform: string;
  readonly namespace: string;
  readonly name: string;
  /** The counter's sum, the distribution's data, or the gauge's latest value and its time. */
  readonly value: number | DistributionData | GaugeData;
}

/** Encodes a counter's sum. */
export function encodeSumInt64(n: number): Buffer {
  const w = new ByteWriter();
  w.varint(n);
  return w.finish();
}

/** Encodes a distribution's count, sum, minimum and maximum. */
export function encodeDistributionInt64(d: DistributionData): Buffer {
  const w = new ByteWriter();
  for (const v of [d.count, d.sum, d.min, d.max]) w.varint(v);
  return w.finish();
}

/** Encodes a gauge's latest value: its timestamp (ms), then the value. */
export function encodeLatestInt64(g: GaugeData): Buffer {
  const w = new ByteWriter();
  w.varint(g.timestamp);
  w.varint(g.value);
  return w.finish();
}

/** The monitoring infos of user metrics by transform. */
export function userMetricInfos(byTransform: ReadonlyMap<string, MetricsCell>): MonitoringInfo[] {
  const out: MonitoringInfo[] = [];
  for (const [transform, cell] of byTransform) {
    for (const c of cell.counters.values()) {
      out.push({ urn: USER_SUM_INT64_URN, type: SUM_INT64_TYPE, payload: encodeSumInt64(c.value), labels: { PTRANSFORM: transform, NAMESPACE: c.namespace, NAME: c.name } });
    }
    for (const d of cell.distributions.values()) {
      out.push({ urn: USER_DISTRIBUTION_INT64_URN, type: DISTRIBUTION_INT64_TYPE, payload: encodeDistributionInt64(d.data), labels: { PTRANSFORM: transform, NAMESPACE: d.namespace, NAME: d.name } });
    }
    for (const g of cell.gauges.values()) {
      out.push({ urn: USER_LATEST_INT64_URN, type: LATEST_INT64_TYPE, payload: encodeLatestInt64(g.data), labels: { PTRANSFORM: transform, NAMESPACE: g.namespace, NAME: g.name } });
    }
  }
  return out;
}

/**
 * The user metrics among monitoring infos (a runner's job metrics), summed per transform, namespace and
 * name (runners may report a transform's metric once per fused stage or worker).
 */
export function userMetricsFromInfos(infos: readonly MonitoringInfo[]): UserMetric[] {
  const byKey = new Map<string, UserMetric>();
  for (const info of infos) {
    const labels = info.labels ?? {};
    const key = `${labels.PTRANSFORM}\u0000${labels.NAMESPACE}\u0000${labels.NAME}\u0000${info.urn}`;
    const r = new ByteReader(Buffer.from(info.payload ?? []));
    const num = () => Number(r.varint());
    let value: UserMetric["value"];
    if (info.urn === USER_SUM_INT64_URN) value = num();
    else if (info.urn === USER_DISTRIBUTION_INT64_URN) value = { count: num(), sum: num(), min: num(), max: num() };
    else if (info.urn === USER_LATEST_INT64_URN) value = { timestamp: num(), value: num() };
    else continue;
    const prev = byKey.get(key)?.value;
    if (prev !== undefined) {
      if (typeof value === "number") value = value + (prev as number);
      else if (isGauge(value)) value = (prev as GaugeData).timestamp > value.timestamp ? prev : value;
      else value = mergeDistributions(prev as DistributionData, value);
    }
    byKey.set(key, { transform: labels.PTRANSFORM ?? "", namespace: labels.NAMESPACE ?? "", name: labels.NAME ?? "", value });
  }
  return [...byKey.values()].sort((a, b) => (a.transform + a.name < b.transform + b.name ? -1 : 1));
}

function mergeDistributions(a: DistributionData, b: DistributionData): DistributionData {
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

function isGauge(v: UserMetric["value"]): v is GaugeData {
  return typeof v !== "number" && "timestamp" in v;
}

/** A job's user metrics to query as with Beam's `MetricResults` (the runner's values are not told apart into attempted and committed). */
export function userMetricResults(metrics: readonly UserMetric[]): MetricResults {
  return new MetricResults(
    metrics.map((m): UserMetricValue => {
      const key = { step: m.transform, namespace: m.namespace, name: m.name };
      const v = m.value;
      return typeof v === "number" ? { ...key, kind: "counter", value: v } : isGauge(v) ? { ...key, kind: "gauge", value: v } : { ...key, kind: "distribution", value: v };
    }),
    false,
  );
}

/** User metrics as the CLI prints counters: one line per transform, `transform: name=sum, name=count/sum/min/max`. */
export function formatUserMetrics(metrics: readonly UserMetric[]): string[] {
  const byTransform = new Map<string, string[]>();
  for (const m of metrics) {
    const v = m.value;
    const text = typeof v === "number" ? `${m.name}=${v}` : isGauge(v) ? `${m.name}=${v.value} (latest)` : `${m.name}=${v.count}/${v.sum}/${v.min}/${v.max} (count/sum/min/max)`;
    byTransform.set(m.transform, [...(byTransform.get(m.transform) ?? []), text]);
  }
  return [...byTransform].map(([transform, parts]) => `${transform}: ${parts.join(", ")}`);
}

/**
 * Short ids of monitoring infos (Beam's `monitoring_info_short_ids` protocol): a bundle's response
 * carries payloads by short id, and the runner asks once for the info (URN, type, labels) behind each id.
 */
export class MonitoringShortIds {
  private readonly ids = new Map<string, string>();
  private readonly infos = new Map<string, Omit<MonitoringInfo, "payload">>();

  /** The payloads of `infos` by short id, assigning ids to infos not seen before. */
  data(infos: readonly MonitoringInfo[]): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const info of infos) {
      const labels = Object.keys(info.labels).sort().map((k) => `${k}=${info.labels[k]}`);
      const key = [info.urn, info.type, ...labels].join("\u0000");
      let id = this.ids.get(key);
      if (!id) {
        id = `m${this.ids.size + 1}`;
        this.ids.set(key, id);
        this.infos.set(id, { urn: info.urn, type: info.type, labels: info.labels });
      }
      out[id] = info.payload;
    }
    return out;
  }

  /** The infos behind short ids (ids never assigned are left out). */
  metadata(ids: readonly string[]): Record<string, Omit<MonitoringInfo, "payload">> {
    const out: Record<string, Omit<MonitoringInfo, "payload">> = {};
    for (const id of ids) {
      const info = this.infos.get(id);
      if (info) out[id] = info;
    }
    return out;
  }
}
