/** What a run counts, and how operators find their runtime objects. */
import type { InstanceSample } from "../../metrics/sample";

/** Looks up runtime objects (DoFns, sources, sinks) by transform name. */
export type FnLookup = (transformName: string) => unknown;

/** Rows emitted and named counters, as plain arrays (to post between threads and keep in a checkpoint). */
export interface MetricCounts {
  readonly rowsOut: [string, number][];
  readonly counters: [string, [string, number][]][];
}

/** The counts of `m`, copied into plain arrays. */
export function countsOf(m: Pick<RunMetrics, "rowsOut" | "counters">): MetricCounts {
  return { rowsOut: [...m.rowsOut], counters: [...m.counters].map(([k, v]) => [k, [...v]]) };
}

/** Counters of a run. */
export interface RunMetrics {
  /** Rows emitted per transform. */
  readonly rowsOut: Map<string, number>;
  /** Named counters per transform, such as `droppedLateRows`. */
  readonly counters: Map<string, Map<string, number>>;
  /** The output watermark of each transform when the run ended. */
  readonly watermarks: Map<string, number>;
  /** An execution's last sample of its transforms' numbers (what one instance reports). */
  readonly sample?: InstanceSample;
}
