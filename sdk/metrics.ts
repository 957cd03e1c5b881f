/**
 * User metrics, as in Beam: counters and distributions that user functions update and runners report
 * per transform (a portable runner as monitoring infos, aggregated over every worker).
 * @example
 * const parsed = metrics.counter("parsed");
 * const sizes = metrics.distribution("lineLength");
 * const parse: DoFn<string, Row> = {
 *   process(line, ctx) {
 *     parsed.inc();
 *     sizes.update(line.length);
 *     ctx.output(toRow(line));
 *   },
 * };
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

/** @internal Receives the updates of the transform whose user code is running. */
export interface MetricsContainer {
  addCounter(namespace: string, name: string, n: number): void;
  updateDistribution(namespace: string, name: string, value: number): void;
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
};

/** @internal A container of one transform's metrics: sums and distributions by `namespace:name`. */
export class MetricsCell implements MetricsContainer {
  /** Counter sums by namespace and name. */
  readonly counters = new Map<string, { namespace: string; name: string; value: number }>();
  /** Distributions by namespace and name. */
  readonly distributions = new Map<string, { namespace: string; name: string; data: DistributionData }>();

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
  };
}

/** @internal `target` with every method call run under `container` (a runner wraps an operator that calls user code). */
export function reportingMetricsTo<T extends object>(target: T, container: MetricsContainer): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver);
      return typeof v === "function" ? (...args: unknown[]) => withMetricsContainer(container, () => v.apply(t, args)) : v;
    },
  });
}
