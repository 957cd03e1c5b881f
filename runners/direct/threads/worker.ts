/**
 * The main module of a worker thread: rebuilds the pipeline from its spec (checking the fingerprint)
 * and reports that it is ready, or why it cannot be.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadPipeline } from "./bootstrap";
import type { WorkerInit, WorkerMessage } from "./protocol";
import { errorToRemote } from "./remote-error";

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

const init = workerData as WorkerInit;
try {
  const pipeline = loadPipeline(init.spec);
  post({ type: "ready", fingerprint: pipeline.fingerprint() });
} catch (e) {
  post({ type: "failed", error: errorToRemote(e) });
}
