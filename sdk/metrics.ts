/**
 * User metrics, as in Beam: counters, distributions and gauges that user functions update and runners
 * report per transform (a portable runner as monitoring infos, aggregated over every worker), queried
 * from a run's result by step, namespace and name.
 * @example
 * const parsed = metrics.counter("parsed");
 * const sizes = metrics.distribution("lineLength");
 * const queued = metrics.gauge("queued");
 * const parse: DoFn<string, Row> = {
 *   process(line, ctx) {
 *     parsed.inc();
 *     sizes.update(line.length);
 *     queued.set(buffer.length);
 *     ctx.output(toRow(line));
 *   },
 * };
 * // later: result.metrics.query({ step: "Parse", name: "parsed" }).counters[0].attempted
 */

/** The namespace of metrics created without one. */
export const DEFAULT_METRICS_NAMESPACE = "beamline";

/** A sum that user code adds to. */
export interface Counter {
  readonly namespace: string;
  readonly name: string;
  /** Adds `n` (default 1; an integer). */
  inc(n?: number): void;
  /** Subtracts `n` (default 1). */
  dec(n?: number): void;
}

/** The count, sum, minimum and maximum of the integers user code reports. */
export interface Distribution {
  readonly namespace: string;
  readonly name: string;
  /** Records one value (an integer). */
  update(value: number): void;
}

/** The count, sum, minimum and maximum of a distribution. */
export interface DistributionData {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** The latest value user code set, and when (ms since the epoch). */
export interface GaugeData {
  readonly value: number;
  readonly timestamp: number;
}

/** A value user code sets; the latest one set (on any worker) is reported. */
export interface Gauge {
  readonly namespace: string;
  readonly name: string;
  /** Sets the value (an integer). */
  set(value: number): void;
}

/** @internal Receives the updates of the transform whose user code is running. */
export interface MetricsContainer {
  addCounter(namespace: string, name: string, n: number): void;
  updateDistribution(namespace: string, name: string, value: number): void;
  setGauge(namespace: string, name: string, value: number): void;
}

let current: MetricsContainer | null = null;

/** @internal Runs `f` with `container` receiving the metric updates of the user code it calls. */
export function withMetricsContainer<T>(container: MetricsContainer, f: () => T): T {
  const previous = current;
  current = container;
  try {
    return f();
  } finally {
    current = previous;
  }
}

/** Constructors of user metrics; updates outside a runner's call of user code are ignored. */
export const metrics = {
  /** A counter named `name` in `namespace`. */
  counter(name: string, namespace = DEFAULT_METRICS_NAMESPACE): Counter {
    return {
      namespace,
      name,
      inc: (n = 1) => current?.addCounter(namespace, name, Math.trunc(n)),
      dec: (n = 1) => current?.addCounter(namespace, name, -Math.trunc(n)),
    };
  },
  /** A distribution named `name` in `namespace`. */
  distribution(name: string, namespace = DEFAULT_METRICS_NAMESPACE): Distribution {
    return { namespace, name, update: (value) => current?.updateDistribution(namespace, name, Math.trunc(value)) };
  },
  /** A gauge named `name` in `namespace`. */
  gauge(name: string, namespace = DEFAULT_METRICS_NAMESPACE): Gauge {
    return { namespace, name, set: (value) => current?.setGauge(namespace, name, Math.trunc(value)) };
  },
};

/** @internal A container of one transform's metrics: sums, distributions and gauges by `namespace:name`. */
export class MetricsCell implements MetricsContainer {
  /** Counter sums by namespace and name. */
  readonly counters = new Map<string, { namespace: string; name: string; value: number }>();
  /** Distributions by namespace and name. */
  readonly distributions = new Map<string, { namespace: string; name: string; data: DistributionData }>();
  /** Gauges by namespace and name. */
  readonly gauges = new Map<string, { namespace: string; name: string; data: GaugeData }>();

  addCounter(namespace: string, name: string, n: number): void {
    const k = `${namespace}:${name}`;
    const c = this.counters.get(k);
    if (c) c.value += n;
    else this.counters.set(k, { namespace, name, value: n });
  }

  updateDistribution(namespace: string, name: string, value: number): void {
    const k = `${namespace}:${name}`;
    const d = this.distributions.get(k)?.data;
    const data = d ? { count: d.count + 1, sum: d.sum + value, min: Math.min(d.min, value), max: Math.max(d.max, value) } : { count: 1, sum: value, min: value, max: value };
    this.distributions.set(k, { namespace, name, data });
  }

  setGauge(namespace: string, name: string, value: number): void {
    this.gauges.set(`${namespace}:${name}`, { namespace, name, data: { value, timestamp: Date.now() } });
  }

  /** The cell's metrics as results of transform `step`. */
  results(step: string): UserMetricValue[] {
    const out: UserMetricValue[] = [];
    for (const c of this.counters.values()) out.push({ step, namespace: c.namespace, name: c.name, kind: "counter", value: c.value });
    for (const d of this.distributions.values()) out.push({ step, namespace: d.namespace, name: d.name, kind: "distribution", value: d.data });
    for (const g of this.gauges.values()) out.push({ step, namespace: g.namespace, name: g.name, kind: "gauge", value: g.data });
    return out;
  }
}

/**
 * @internal A container that adds user counters to a runner's named counters of the transform (`count`);
 * a distribution becomes the counters `name.count` and `name.sum`.
 */
export function namedCountersContainer(count: (name: string, n: number) => void): MetricsContainer {
  return {
    addCounter: (_namespace, name, n) => count(name, n),
    updateDistribution: (_namespace, name, value) => {
      count(`${name}.count`, 1);
      count(`${name}.sum`, value);
    },
    setGauge: () => {},
  };
}

/** @internal A container passing every update to each of `containers`. */
export function allContainers(...containers: MetricsContainer[]): MetricsContainer {
  return {
    addCounter: (namespace, name, n) => containers.forEach((c) => c.addCounter(namespace, name, n)),
    updateDistribution: (namespace, name, value) => containers.forEach((c) => c.updateDistribution(namespace, name, value)),
    setGauge: (namespace, name, value) => containers.forEach((c) => c.setGauge(namespace, name, value)),
  };
}

/** One user metric of one transform, whatever its kind. */
export type UserMetricValue =
  | { readonly step: string; readonly namespace: string; readonly name: string; readonly kind: "counter"; readonly value: number }
  | { readonly step: string; readonly namespace: string; readonly name: string; readonly kind: "distribution"; readonly value: DistributionData }
  | { readonly step: string; readonly namespace: string; readonly name: string; readonly kind: "gauge"; readonly value: GaugeData };

/** Which metrics a query selects; each field left out selects all, an array selects any of its values. */
export interface MetricsFilter {
  /** Transforms: a name, or a part of one made of whole `/`-separated segments (`"Parse"` selects `"Parse"` and `"Ingest/Parse/Map"`). */
  readonly step?: string | readonly string[];
  /** Namespaces, exactly. */
  readonly namespace?: string | readonly string[];
  /** Metric names, exactly. */
  readonly name?: string | readonly string[];
}

/** A metric's value on one transform: what the run's attempts did (`attempted`) and what it committed. */
export interface MetricResult<T> {
  /** The transform's unique name. */
  readonly step: string;
  readonly namespace: string;
  readonly name: string;
  /** The value over every attempt of the transform's work. */
  readonly attempted: T;
  /** The value over the work the run committed; undefined when the runner does not tell them apart. */
  readonly committed: T | undefined;
}

/** What a query found, by kind. */
export interface MetricQueryResults {
  readonly counters: MetricResult<number>[];
  readonly distributions: MetricResult<DistributionData>[];
  readonly gauges: MetricResult<GaugeData>[];
}

/** Whether `filter` is a run of whole segments of `step`. */
function stepMatches(step: string, filter: string): boolean {
  const parts = step.split("/");
  const want = filter.split("/");
  for (let i = 0; i + want.length <= parts.length; i++) if (want.every((w, j) => parts[i + j] === w)) return true;
  return false;
}

function oneOf(value: string, wanted: string | readonly string[] | undefined, matches = (a: string, b: string) => a === b): boolean {
  if (wanted === undefined) return true;
  return typeof wanted === "string" ? matches(value, wanted) : wanted.some((w) => matches(value, w));
}

/** The user metrics of a run, queried as with Beam's `MetricResults.query`. */
export class MetricResults {
  /** `all`: one value per transform, namespace and name; `committed`: whether the values are committed ones too. */
  constructor(
    private readonly all: readonly UserMetricValue[],
    private readonly committed = true,
  ) {}

  /** The metrics `filter` selects (all of them without one), sorted by step, namespace and name. */
  query(filter: MetricsFilter = {}): MetricQueryResults {
    const out: { counters: MetricResult<number>[]; distributions: MetricResult<DistributionData>[]; gauges: MetricResult<GaugeData>[] } = { counters: [], distributions: [], gauges: [] };
    const sorted = [...this.all].sort((a, b) => compare(a.step, b.step) || compare(a.namespace, b.namespace) || compare(a.name, b.name));
    for (const m of sorted) {
      if (!oneOf(m.step, filter.step, stepMatches) || !oneOf(m.namespace, filter.namespace) || !oneOf(m.name, filter.name)) continue;
      const key = { step: m.step, namespace: m.namespace, name: m.name };
      const committed = this.committed ? m.value : undefined;
      if (m.kind === "counter") out.counters.push({ ...key, attempted: m.value, committed: committed as number | undefined });
      else if (m.kind === "distribution") out.distributions.push({ ...key, attempted: m.value, committed: committed as DistributionData | undefined });
      else out.gauges.push({ ...key, attempted: m.value, committed: committed as GaugeData | undefined });
    }
    return out;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * @internal Merges the values of one metric reported by several workers: counters add, distributions
 * combine, the latest gauge wins.
 */
export function mergeUserMetrics(values: Iterable<UserMetricValue>): UserMetricValue[] {
  const byKey = new Map<string, UserMetricValue>();
  for (const v of values) {
    const k = `${v.step}\u0000${v.namespace}\u0000${v.name}\u0000${v.kind}`;
    const prev = byKey.get(k);
    if (!prev) byKey.set(k, v);
    else if (prev.kind === "counter" && v.kind === "counter") byKey.set(k, { ...v, value: prev.value + v.value });
    else if (prev.kind === "distribution" && v.kind === "distribution") {
      const a = prev.value;
      const b = v.value;
      byKey.set(k, { ...v, value: { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) } });
    } else if (prev.kind === "gauge" && v.kind === "gauge" && v.value.timestamp >= prev.value.timestamp) byKey.set(k, v);
  }
  return [...byKey.values()];
}
