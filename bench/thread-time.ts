/**
 * Where each thread's time goes in one benchmark child, from the events bench/thread-probe.cjs logs:
 * CPU per thread, the worker's start-up, the main thread's waiting and the work it does alone after the
 * last worker finished, the CPU of the process's other threads (V8's garbage collection and compiler
 * helpers, libuv), and from those the wall time a quiet machine of `cores` cores would take.
 */

/** One line bench/thread-probe.cjs logs. */
export interface ProbeEvent {
  readonly event: string;
  readonly tid: number;
  readonly main: boolean;
  /** CLOCK_MONOTONIC, ms. */
  readonly t: number;
  /** The thread's CPU time so far, ms. */
  readonly cpu: number;
  /** The thread's time waiting for a core so far, ms (load on the machine, not the program's waits). */
  readonly runQueue: number;
  /** The thread's event loop: idle (waiting for events) and active ms so far. */
  readonly idle: number;
  readonly active: number;
  /** At `start` and `end` (main thread): every thread's CPU ms, by thread id. */
  readonly threads?: Readonly<Record<string, number>>;
}

/** A worker thread's share, ms. */
export interface WorkerTime {
  /** CPU from the thread's creation to ready (the pipeline loaded). */
  readonly startCpu: number;
  /** CPU from ready to its instance's end. */
  readonly runCpu: number;
  /** Its event loop's idle time from receiving the run order to its instance's end. */
  readonly runIdle: number;
}

/** The breakdown of one run, ms of CPU unless said otherwise. */
export interface ThreadTime {
  /** The measured span's wall time on this (possibly loaded) machine. */
  readonly wall: number;
  /** The main thread's CPU over the measured span. */
  readonly mainCpu: number;
  /** The main thread's event loop idle over the span (waiting for workers, links, I/O). */
  readonly mainIdle: number;
  /** The main thread's CPU before it posted the first run order (a worker starts before that). */
  readonly mainBeforeSpawn: number;
  /** The main thread's CPU from the start to the last worker's end, and after it (end-of-input work it does alone). */
  readonly mainUntilWorkersDone: number;
  readonly mainAfterWorkersDone: number;
  readonly workers: WorkerTime[];
  /** CPU of the process's other threads over the span. */
  readonly helpers: number;
  /** Every thread's CPU over the span (main, workers' start-up and run, helpers). */
  readonly total: number;
  /**
   * The longest chain of CPU through the points where threads wait for each other: the main thread
   * until the last worker's end, or a worker's spawn + start-up + run, whichever is longer, plus the
   * main thread's work after it.
   */
  readonly criticalPath: number;
  /** Wall time on a quiet machine of `cores` cores: the critical path, or all the CPU shared by the cores, whichever is longer. */
  readonly quietEstimate: number;
}

/** The breakdown of one run from its probe events; `cores` is the machine's. */
export function threadTime(events: readonly ProbeEvent[], cores: number): ThreadTime {
  const main = (name: string) => events.find((e) => e.main && e.event === name);
  const start = main("start");
  const end = main("end");
  if (!start || !end || !start.threads || !end.threads) throw new Error("thread-time: the probe logged no measured span (start and end)");
  const workerTids = [...new Set(events.filter((e) => !e.main && e.event === "ready").map((e) => e.tid))];
  const workers = workerTids.map((tid): WorkerTime => {
    const at = (name: string) => events.find((e) => e.tid === tid && e.event === name);
    const ready = at("ready");
    const received = at("run-received");
    const done = at("done");
    if (!ready || !received || !done) throw new Error(`thread-time: worker thread ${tid} logged no ready, run or done`);
    return { startCpu: ready.cpu, runCpu: done.cpu - ready.cpu, runIdle: done.idle - received.idle };
  });
  const mainCpu = end.cpu - start.cpu;
  const lastDone = events.filter((e) => e.main && e.event === "worker-done").pop();
  const posted = main("run-posted");
  const mainUntilWorkersDone = lastDone ? lastDone.cpu - start.cpu : mainCpu;
  const mainBeforeSpawn = posted ? posted.cpu - start.cpu : 0;
  const excluded = new Set([start.tid, ...workerTids]);
  let helpers = 0;
  for (const [tid, cpu] of Object.entries(end.threads)) {
    if (!excluded.has(Number(tid))) helpers += cpu - (start.threads[tid] ?? 0);
  }
  const workerPath = Math.max(0, ...workers.map((w) => mainBeforeSpawn + w.startCpu + w.runCpu));
  const mainAfterWorkersDone = mainCpu - mainUntilWorkersDone;
  const criticalPath = Math.max(mainUntilWorkersDone, workerPath) + mainAfterWorkersDone;
  const total = mainCpu + helpers + workers.reduce((a, w) => a + w.startCpu + w.runCpu, 0);
  return {
    wall: end.t - start.t,
    mainCpu,
    mainIdle: end.idle - start.idle,
    mainBeforeSpawn,
    mainUntilWorkersDone,
    mainAfterWorkersDone,
    workers,
    helpers,
    total,
    criticalPath,
    quietEstimate: Math.max(criticalPath, total / cores),
  };
}

/**
 * The most a higher parallelism can gain over a run at one thread on `cores` cores, unless it spends
 * less CPU in all than that run (more threads do not: each adds its own start-up, compilation and
 * garbage collection): `p1`'s quiet estimate over its total CPU shared by the cores. Above 1 only
 * while `p1` leaves part of the cores unused; its helper threads use part of them.
 */
export function scalingCeiling(p1: ThreadTime, cores: number): number {
  return p1.quietEstimate / (p1.total / cores);
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
