/** Messages between the coordinator and its worker threads. */
import type { PipelineSpec } from "./bootstrap";
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

/** A worker's messages to the coordinator. */
export type WorkerMessage =
  | { readonly type: "ready"; readonly fingerprint: string }
  | { readonly type: "failed"; readonly error: RemoteError };
