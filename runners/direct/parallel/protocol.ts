/** Messages between the coordinator and its worker threads. */
import type { MessagePort } from "node:worker_threads";
import type { StateBackendKind } from "../contract/operator";
import type { MetricCounts, RunMetrics } from "../contract/run-metrics";
import type { InstanceSample } from "../../metrics/sample";
import type { PipelineSpec } from "./bootstrap";
import type { InstanceCheckpointOrder } from "./instance-checkpoints";
import type { Layout } from "./layout";
import type { RemoteError } from "./remote-error";

/** What a worker is started with (its `workerData`). */
export interface WorkerInit {
  /** How to rebuild the pipeline. */
  readonly spec: PipelineSpec;
  /** This worker's index, 0-based. */
  readonly index: number;
  /** How many workers run the pipeline. */
  readonly parallelism: number;
}

/** The coordinator's order to run this worker's instance of the plan. */
export interface RunOrder {
  readonly type: "run";
  readonly layout: Layout;
  /** Rows per emitted batch. */
  readonly batchSize: number;
  /** Where stateful operators keep their state, and under which directory on disk. */
  readonly stateBackend?: StateBackendKind;
  readonly stateDir?: string;
  /** Credits of every link: batches of `batchSize` rows in flight (counted in rows). */
  readonly capacity: number;
  /** Ports to other workers: [edge id, receiving worker, port]. */
  readonly outPorts: [number, number, MessagePort][];
  /** Ports from other workers: [edge id, sending worker, port]. */
  readonly inPorts: [number, number, MessagePort][];
  /** Checkpoints of a checkpointed run: where to write them, and this instance's state to restore. */
  readonly checkpoints?: InstanceCheckpointOrder;
  /** The run's progress board (see `ProgressBoard`), when someone watches its progress. */
  readonly progress?: SharedArrayBuffer;
  /** When someone watches the run's metrics live: how often the instance reports a sample of them (ms). */
  readonly sampleEveryMs?: number;
}

/** The coordinator's checkpoint messages to a worker: trigger checkpoint `id`, or checkpoint `id` completed. */
export type CheckpointOrder = { readonly type: "checkpoint"; readonly id: number } | { readonly type: "complete"; readonly id: number };

/** Metrics of one instance, as plain arrays. */
export interface InstanceMetrics {
  readonly rowsOut: [string, number][];
  readonly counters: [string, [string, number][]][];
  readonly watermarks: [string, number][];
  /** The instance's last sample. */
  readonly sample?: InstanceSample;
}

/** An instance's metrics as plain arrays, to post. */
export function instanceMetrics(m: RunMetrics): InstanceMetrics {
  return { rowsOut: [...m.rowsOut], counters: [...m.counters].map(([k, v]) => [k, [...v]]), watermarks: [...m.watermarks], ...(m.sample ? { sample: m.sample } : {}) };
}

/** A worker's messages to the coordinator. */
export type WorkerMessage =
  | { readonly type: "ready"; readonly fingerprint: string }
  | { readonly type: "done"; readonly metrics: InstanceMetrics }
  | { readonly type: "metrics"; readonly sample: InstanceSample }
  | { readonly type: "ack"; readonly id: number; readonly bytes: number; readonly counts: MetricCounts }
  /** The worker could not write its file of checkpoint `id`: the checkpoint fails. */
  | { readonly type: "declined"; readonly id: number; readonly error: RemoteError }
  | { readonly type: "failed"; readonly error: RemoteError };
