/**
 * What an execution counts while it runs: per transform, rows, batches and bytes in and out, time spent
 * processing and held by backpressure (a few additions per batch, never per row); named counters; the
 * backlog sources report; user metrics. Sampled into an {@link InstanceSample} from a timer and at the end.
 */
import { READ_URN } from "../../../sdk/source";
import type { ElementBatch } from "../../../sdk/batch";
import type { PipelineGraph } from "../../../sdk/graph";
import { MetricsCell } from "../../../sdk/metrics";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import { BacklogEntry, FIELD, InstanceSample, TRANSFORM_FIELDS } from "../../metrics/sample";
import type { RunMetrics } from "../contract/run-metrics";
import type { ExecNode } from "./node";
import type { InstanceProgress } from "./progress";

/** Numbers kept per transform in {@link ExecutionMetrics.stats}. */
export const STRIDE = TRANSFORM_FIELDS.length;

/** The bytes of a batch's columns and timestamps (a pass over its columns, not its rows). */
export function batchBytes(batch: ElementBatch): number {
  return batch.data.data.byteLength + batch.timestamps.byteLength;
}

/** The counters of one execution. */
export class ExecutionMetrics {
  /** Rows emitted, by transform. */
  readonly rowsOut = new Map<string, number>();
  /** Named counters, by transform. */
  readonly counters = new Map<string, Map<string, number>>();
  /** {@link STRIDE} cumulative numbers per node, by node index (see `TRANSFORM_FIELDS`). */
  stats = new Float64Array(0);
  /** User metrics, by transform. */
  readonly user = new Map<string, MetricsCell>();
  /** The latest backlog each source reported, by transform and partition. */
  private readonly backlog = new Map<string, BacklogEntry>();

  /** Makes room for the numbers of `nodes` nodes. */
  track(nodes: number): void {
    this.stats = new Float64Array(nodes * STRIDE);
  }

  /** Adds `n` to counter `counter` of transform `name`. */
  count(name: string, counter: string, n: number): void {
    let m = this.counters.get(name);
    if (!m) this.counters.set(name, (m = new Map()));
    m.set(counter, (m.get(counter) ?? 0) + n);
  }

  /** Adds `n` to field `field` (an index from `FIELD`) of node `node`. */
  add(node: ExecNode, field: number, n: number): void {
    this.stats[node.index * STRIDE + field] += n;
  }

  /** Counts a batch of `rows` rows and `bytes` bytes emitted by `from` (out) or delivered to `to` (in). */
  moved(from: ExecNode | null, to: ExecNode | null, rows: number, bytes: number): void {
    const s = this.stats;
    if (from) {
      const o = from.index * STRIDE;
      s[o + FIELD.rowsOut] += rows;
      s[o + FIELD.batchesOut] += 1;
      s[o + FIELD.bytesOut] += bytes;
    }
    if (to) {
      const o = to.index * STRIDE;
      s[o + FIELD.rowsIn] += rows;
      s[o + FIELD.batchesIn] += 1;
      s[o + FIELD.bytesIn] += bytes;
    }
  }

  /** The user metrics container of transform `name`. */
  userCell(name: string): MetricsCell {
    let c = this.user.get(name);
    if (!c) this.user.set(name, (c = new MetricsCell()));
    return c;
  }

  /** Records what source `transform` has yet to read of `partition`. */
  reportBacklog(transform: string, partition: string, backlog: { records?: number; bytes?: number }): void {
    this.backlog.set(`${transform}\u0000${partition}`, { transform, partition, ...backlog });
  }

  /** A probe of progress: rows the read transforms emitted and the slowest output watermark. A pass over the nodes. */
  probe(graph: PipelineGraph, nodes: readonly ExecNode[]): () => InstanceProgress {
    const reads = nodes.filter((n) => graph.transforms[n.name].urn === READ_URN);
    return () => {
      let rows = 0;
      for (const n of reads) rows += this.rowsOut.get(n.name) ?? 0;
      let watermark = MAX_TIMESTAMP;
      for (const n of nodes) if (n.outWatermark < watermark) watermark = n.outWatermark;
      return { rows, watermark };
    };
  }

  /** A snapshot of every node's numbers, as instance `instance`. */
  sample(instance: number, nodes: readonly ExecNode[]): InstanceSample {
    return {
      instance,
      at: Date.now(),
      transforms: nodes.map((n) => n.name),
      values: Array.from(this.stats),
      watermarks: nodes.map((n) => n.outWatermark),
      counters: [...this.counters].map(([k, v]) => [k, [...v]] as const),
      backlog: [...this.backlog.values()],
      user: [...this.user].flatMap(([name, cell]) => cell.results(name)),
    };
  }

  /** The run's metrics, with each node's output watermark at the end and a last sample as instance `instance`. */
  result(nodes: readonly ExecNode[], instance: number): RunMetrics {
    return { rowsOut: this.rowsOut, counters: this.counters, watermarks: new Map(nodes.map((n) => [n.name, n.outWatermark])), sample: this.sample(instance, nodes) };
  }
}
