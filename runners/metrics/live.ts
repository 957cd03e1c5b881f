/**
 * The metrics of a running pipeline, as the runner's thread sees them: the latest sample of each
 * instance, totals carried over from attempts that ended in a restart (so counts never go back), and the
 * run's own figures (checkpoints, restarts). Exporters (Prometheus, the result) read it when asked.
 */
import { mergeUserMetrics, type UserMetricValue } from "../../sdk/metrics";
import { BacklogEntry, FIELD, InstanceSample, TransformField, TRANSFORM_FIELDS } from "./sample";

const STRIDE = TRANSFORM_FIELDS.length;

/** The run's checkpoint figures. */
export interface CheckpointFigures {
  /** Checkpoints completed. */
  readonly completed: number;
  /** Checkpoints that failed (or were abandoned by a failure). */
  readonly failed: number;
  /** How long each completed checkpoint took (ms). */
  readonly durationsMs: readonly number[];
  /** The bytes each completed checkpoint wrote. */
  readonly sizesBytes: readonly number[];
}

/** One transform's numbers on one instance. */
export interface TransformRow {
  readonly transform: string;
  readonly instance: number;
  /** Cumulative numbers in the order of `TRANSFORM_FIELDS`. */
  readonly values: readonly number[];
  /** Its output watermark (ms), or undefined when the instance's attempt ended. */
  readonly watermark: number | undefined;
}

/** A named counter of one transform on one instance. */
export interface CounterRow {
  readonly transform: string;
  readonly instance: number;
  readonly counter: string;
  readonly value: number;
}

/** The numbers of one transform summed over the instances. */
export type TransformTotals = { readonly [F in TransformField]: number };

/** How many errors {@link LiveMetrics.errors} keeps. */
export const MAX_ERRORS = 20;

const NO_CHECKPOINTS: CheckpointFigures = { completed: 0, failed: 0, durationsMs: [], sizesBytes: [] };

/** The live metrics of one run. */
export class LiveMetrics {
  private readonly latest = new Map<number, InstanceSample>();
  /** Totals of attempts that ended, by transform and instance. */
  private readonly carried = new Map<string, { transform: string; instance: number; values: number[] }>();
  private readonly carriedCounters = new Map<string, CounterRow>();
  /** When the run started (ms since the epoch). */
  readonly startedAt = Date.now();
  /** Restarts after a failure so far. */
  restarts = 0;
  /** Attempts that failed so far (restarted or not). */
  failures = 0;
  /** Whether the run goes on, ended, or failed for good. */
  state: "running" | "done" | "failed" = "running";
  /** The latest errors that failed an attempt, oldest first (at most {@link MAX_ERRORS}). */
  readonly errors: { readonly at: number; readonly message: string }[] = [];
  /** The fused stage of each transform, by name (set by the runner from its plan). */
  stageOf: ReadonlyMap<string, number> = new Map();
  /** Reads the run's checkpoint figures (none until the runner sets it). */
  checkpoints: () => CheckpointFigures = () => NO_CHECKPOINTS;

  /** Records an error that failed an attempt. */
  failed(error: unknown): void {
    this.failures++;
    this.errors.push({ at: Date.now(), message: error instanceof Error ? error.message : String(error) });
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
  }

  /** Keeps `sample` as its instance's latest, unless a later one arrived first. */
  record(sample: InstanceSample): void {
    const prev = this.latest.get(sample.instance);
    if (!prev || prev.at <= sample.at) this.latest.set(sample.instance, sample);
  }

  /** The current attempt ended and another begins: what it counted is carried over, its instances start from zero. */
  restarted(): void {
    for (const s of this.latest.values()) {
      s.transforms.forEach((transform, t) => {
        const key = `${transform}\u0000${s.instance}`;
        let c = this.carried.get(key);
        if (!c) this.carried.set(key, (c = { transform, instance: s.instance, values: new Array(STRIDE).fill(0) }));
        for (let f = 0; f < STRIDE; f++) c.values[f] += s.values[t * STRIDE + f];
      });
      for (const [transform, cs] of s.counters) {
        for (const [counter, value] of cs) {
          const key = `${transform}\u0000${s.instance}\u0000${counter}`;
          const prev = this.carriedCounters.get(key);
          this.carriedCounters.set(key, { transform, instance: s.instance, counter, value: (prev?.value ?? 0) + value });
        }
      }
    }
    this.latest.clear();
    this.restarts++;
  }

  /** Every transform's numbers on every instance. */
  transforms(): TransformRow[] {
    const rows = new Map<string, TransformRow>();
    for (const c of this.carried.values()) rows.set(`${c.transform}\u0000${c.instance}`, { ...c, values: [...c.values], watermark: undefined });
    for (const s of this.latest.values()) {
      s.transforms.forEach((transform, t) => {
        const key = `${transform}\u0000${s.instance}`;
        const values = s.values.slice(t * STRIDE, (t + 1) * STRIDE);
        const before = this.carried.get(key);
        if (before) for (let f = 0; f < STRIDE; f++) values[f] += before.values[f];
        rows.set(key, { transform, instance: s.instance, values, watermark: s.watermarks[t] });
      });
    }
    return [...rows.values()];
  }

  /** Every named counter on every instance. */
  counters(): CounterRow[] {
    const rows = new Map<string, CounterRow>(this.carriedCounters);
    for (const s of this.latest.values()) {
      for (const [transform, cs] of s.counters) {
        for (const [counter, value] of cs) {
          const key = `${transform}\u0000${s.instance}\u0000${counter}`;
          rows.set(key, { transform, instance: s.instance, counter, value: value + (this.carriedCounters.get(key)?.value ?? 0) });
        }
      }
    }
    return [...rows.values()];
  }

  /** The backlog the sources of every instance reported last, with the instance. */
  backlog(): (BacklogEntry & { readonly instance: number })[] {
    return [...this.latest.values()].flatMap((s) => s.backlog.map((b) => ({ ...b, instance: s.instance })));
  }

  /** User metrics of the current attempt, merged over the instances. */
  user(): UserMetricValue[] {
    return mergeUserMetrics([...this.latest.values()].flatMap((s) => s.user));
  }

  /** Each transform's numbers summed over the instances. */
  totals(): Map<string, TransformTotals> {
    const out = new Map<string, number[]>();
    for (const r of this.transforms()) {
      const t = out.get(r.transform);
      if (!t) out.set(r.transform, [...r.values]);
      else for (let f = 0; f < STRIDE; f++) t[f] += r.values[f];
    }
    return new Map([...out].map(([k, v]) => [k, Object.fromEntries(TRANSFORM_FIELDS.map((f) => [f, v[FIELD[f]]])) as TransformTotals]));
  }
}
