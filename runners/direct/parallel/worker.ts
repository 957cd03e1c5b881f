/**
 * The main module of a worker thread: rebuilds the pipeline from its spec (checking the fingerprint),
 * reports that it is ready, then runs its instance of the plan when the coordinator says so and
 * reports its metrics, or the error that failed it. In a checkpointed run it passes the coordinator's
 * triggers and completions to its instance, and acknowledges each checkpoint file it wrote.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Pipeline } from "../../../sdk/pipeline";
import { loadPipeline } from "./bootstrap";
import { runInstance } from "./instance";
import { InstanceCheckpointLink } from "./instance-checkpoints";
import { CheckpointOrder, instanceMetrics, RunOrder, WorkerInit, WorkerMessage } from "./protocol";
import { errorToRemote } from "./remote-error";
import type { InstanceSample } from "../../metrics/sample";

/**
 * Writes the code cache of the bundle this worker loaded, with every function its run compiled, when
 * it found none it could use (see `code-cache.js`, which leaves the function on globalThis).
 */
function writeCodeCache(): void {
  const key = Symbol.for("beamline.writeCodeCache");
  const write = (globalThis as Record<symbol, unknown>)[key];
  if (typeof write === "function") write();
}

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

let checkpoints: InstanceCheckpointLink | null = null;
parentPort!.on("message", (order: RunOrder | CheckpointOrder) => {
  const failed = (e: unknown) => post({ type: "failed", error: errorToRemote(e) });
  if (order.type === "checkpoint") return void checkpoints?.trigger(order.id).catch(failed);
  if (order.type === "complete") return void checkpoints?.complete(order.id).catch(failed);
  if (order.type !== "run" || !pipeline) return;
  if (order.checkpoints) checkpoints = new InstanceCheckpointLink(order.checkpoints, init.index, (id, bytes, counts) => post({ type: "ack", id, bytes, counts }), (id, e) => post({ type: "declined", id, error: errorToRemote(e) }));
  const report = (sample: InstanceSample) => post({ type: "metrics", sample });
  runInstance(pipeline, init.index, order, { report, ...(checkpoints ? { checkpoints } : {}) }).then(
    (m) => {
      writeCodeCache();
      post({ type: "done", metrics: instanceMetrics(m) });
    },
    failed,
  );
});
