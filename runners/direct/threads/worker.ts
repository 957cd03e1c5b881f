/**
 * The main module of a worker thread: rebuilds the pipeline from its spec (checking the fingerprint),
 * reports that it is ready, then runs its instance of the plan when the coordinator says so and
 * reports its metrics, or the error that failed it.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Pipeline } from "../../../sdk/pipeline";
import { loadPipeline } from "./bootstrap";
import { runInstance } from "./instance";
import { instanceMetrics, RunOrder, WorkerInit, WorkerMessage } from "./protocol";
import { errorToRemote } from "./remote-error";

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

const init = workerData as WorkerInit;
let pipeline: Pipeline | null = null;
try {
  pipeline = loadPipeline(init.spec);
  post({ type: "ready", fingerprint: pipeline.fingerprint() });
} catch (e) {
  post({ type: "failed", error: errorToRemote(e) });
}

parentPort!.on("message", (order: RunOrder) => {
  if (order.type !== "run" || !pipeline) return;
  runInstance(pipeline, init.index, order).then(
    (m) => post({ type: "done", metrics: instanceMetrics(m) }),
    (e: unknown) => post({ type: "failed", error: errorToRemote(e) }),
  );
});
