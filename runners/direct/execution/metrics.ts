/** What an execution counts while it runs: rows each transform emitted and its named counters. */
import { READ_URN } from "../../../sdk/source";
import type { PipelineGraph } from "../../../sdk/graph";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import type { RunMetrics } from "../contract/run-metrics";
import type { ExecNode } from "./node";
import type { InstanceProgress } from "./progress";

/** The counters of one execution. */
export class ExecutionMetrics {
  /** Rows emitted, by transform. */
  readonly rowsOut = new Map<string, number>();
  /** Named counters, by transform. */
  readonly counters = new Map<string, Map<string, number>>();

  /** Adds `n` to counter `counter` of transform `name`. */
  count(name: string, counter: string, n: number): void {
    let m = this.counters.get(name);
    if (!m) this.counters.set(name, (m = new Map()));
    m.set(counter, (m.get(counter) ?? 0) + n);
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

  /** The run's metrics, with each node's output watermark at the end. */
  result(nodes: readonly ExecNode[]): RunMetrics {
    return { rowsOut: this.rowsOut, counters: this.counters, watermarks: new Map(nodes.map((n) => [n.name, n.outWatermark])) };
  }
}
