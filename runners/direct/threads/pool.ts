/**
 * Starts the worker threads of a run: each loads the pipeline module through tsx (so TypeScript
 * pipelines work from the command line and from jest alike), rebuilds and checks the graph, and
 * reports ready. A worker that fails to start, or exits, fails the pool with the worker's own error.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { BeamlineError } from "../../../sdk/errors";
import type { PipelineSpec } from "./bootstrap";
import type { WorkerInit, WorkerMessage } from "./protocol";
import { errorFromRemote } from "./remote-error";

/** The worker threads' entry file (plain JavaScript that registers tsx). */
export const WORKER_ENTRY = path.join(__dirname, "worker-entry.js");

/** A started worker. */
export interface PooledWorker {
  readonly index: number;
  readonly thread: Worker;
}

/**
 * Starts the workers of instances `first` to `parallelism - 1` of a pipeline and waits until every
 * one is ready (instances below `first` run elsewhere, such as the coordinator's own thread).
 */
export async function startWorkers(spec: PipelineSpec, parallelism: number, first = 0): Promise<PooledWorker[]> {
  const workers: PooledWorker[] = [];
  const ready: Promise<void>[] = [];
  for (let index = first; index < parallelism; index++) {
    const init: WorkerInit = { spec, index, parallelism };
    const thread = new Worker(WORKER_ENTRY, { workerData: init });
    workers.push({ index, thread });
    ready.push(
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: WorkerMessage) => {
          if (m.type === "ready") {
            done();
            resolve();
          } else if (m.type === "failed") {
            done();
            reject(errorFromRemote(m.error));
          }
        };
        const onError = (e: Error) => {
          done();
          reject(e);
        };
        const onExit = (code: number) => {
          done();
          reject(new BeamlineError({ code: "BL_WORKER_EXITED", domain: "internal", value: code, rule: `worker thread ${index} exited while starting` }));
        };
        const done = () => {
          thread.off("message", onMessage);
          thread.off("error", onError);
          thread.off("exit", onExit);
        };
        thread.on("message", onMessage);
        thread.on("error", onError);
        thread.on("exit", onExit);
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.thread.terminate()));
    throw e;
  }
  return workers;
}
