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

/** Whether a module a Node option preloads compiles TypeScript: tsx, or Beamline's runners/load/register.js. */
const compilesTs = (module: string) => /^tsx(\/|$)/.test(module) || /(^|[\\/])runners[\\/]load[\\/]register\.js$/.test(module);

/**
 * The parent's Node options without those that load TypeScript (`--import tsx`, `--require tsx/cjs`,
 * `--require …/runners/load/register.js`, ...): a worker loading a pre-built bundle compiles nothing,
 * and registering a compiler costs it tens of ms.
 */
export function withoutTsx(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    const loads = /^--(import|require|loader|experimental-loader)$/.test(a) || a === "-r";
    if (loads && compilesTs(execArgv[i + 1] ?? "")) {
      i++;
      continue;
    }
    const inline = /^--(?:import|require|loader|experimental-loader)=(.*)$/.exec(a);
    if (inline && compilesTs(inline[1])) continue;
    out.push(a);
  }
  return out;
}

/**
 * The options a worker refuses, named in Node's ERR_WORKER_INVALID_EXEC_ARGV message ("...flags: a, b"):
 * V8 and per-process options such as `--max-old-space-size`, which hold for the whole process anyway.
 */
export function refusedOptions(message: string): string[] {
  const at = message.lastIndexOf(": ");
  return at < 0 ? [] : message.slice(at + 2).split(", ").filter((a) => a.startsWith("-"));
}

/** The parent's options a worker loading a bundle is started with, once found (per process). */
let bundleExecArgv: string[] | null = null;

/** The options this process starts workers that load a bundle with; null until one has started without inheriting the parent's. */
export function bundledWorkerExecArgv(): readonly string[] | null {
  return bundleExecArgv;
}

/**
 * Starts one worker. With a bundle to load it leaves out the parent's tsx options, and the options a
 * worker refuses (which the process has already applied: V8's heap limits and the like); should Node
 * still refuse the rest, the worker inherits them all (and loads tsx, at a cost of tens of ms).
 */
function startWorker(init: WorkerInit): Worker {
  let execArgv = bundleExecArgv ?? withoutTsx(process.execArgv);
  if (init.spec.bundle && execArgv.length < process.execArgv.length) {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const worker = new Worker(WORKER_ENTRY, { workerData: init, execArgv });
        bundleExecArgv = execArgv;
        return worker;
      } catch (e) {
        if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
        const refused = new Set(refusedOptions((e as Error).message));
        const kept = execArgv.filter((a) => !refused.has(a));
        if (kept.length === execArgv.length) break;
        execArgv = kept;
      }
    }
  }
  return new Worker(WORKER_ENTRY, { workerData: init });
}

/** A started worker. */
export interface PooledWorker {
  readonly index: number;
  readonly thread: Worker;
}

/**
 * Starts the workers of instances `first` to `parallelism - 1` of a pipeline without waiting for them
 * (instances below `first` run elsewhere, such as the coordinator's own thread). Each reports `ready`
 * once it has rebuilt the pipeline, or `failed`; messages posted to it before then wait in its port.
 */
export function spawnWorkers(spec: PipelineSpec, parallelism: number, first = 0): PooledWorker[] {
  const workers: PooledWorker[] = [];
  try {
    for (let index = first; index < parallelism; index++) workers.push({ index, thread: startWorker({ spec, index, parallelism }) });
  } catch (e) {
    for (const w of workers) void w.thread.terminate();
    throw e;
  }
  return workers;
}

/** Why a worker that had not reported ready yet stopped: its own error, or its exit. */
export function startFailure(index: number, event: { error: unknown } | { exitCode: number }): unknown {
  if ("error" in event) return event.error;
  return new BeamlineError({ code: "BL_WORKER_EXITED", domain: "internal", value: event.exitCode, rule: `worker thread ${index} exited while starting` });
}

/** Starts the workers as {@link spawnWorkers} does and waits until every one is ready. */
export async function startWorkers(spec: PipelineSpec, parallelism: number, first = 0): Promise<PooledWorker[]> {
  const workers = spawnWorkers(spec, parallelism, first);
  const ready = workers.map(
    ({ index, thread }) =>
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
          reject(startFailure(index, { error: e }));
        };
        const onExit = (code: number) => {
          done();
          reject(startFailure(index, { exitCode: code }));
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
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.thread.terminate()));
    throw e;
  }
  return workers;
}
