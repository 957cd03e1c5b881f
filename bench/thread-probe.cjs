"use strict";
// Preloaded (`node --require bench/thread-probe.cjs`) by bench/threads.ts into a benchmark child and,
// through the inherited execArgv, into its worker threads. When THREAD_PROBE_FILE is set, each thread
// appends JSON lines to it at the points bench/threads.ts reads: the thread's CPU time and run-queue
// wait from /proc/thread-self/schedstat, its event loop's idle and active time, and (in the main
// thread, at the start and end of the measured span) the CPU of every other thread of the process.
// Linux only. Plain JavaScript: workers load it without tsx.
const fs = require("node:fs");
const wt = require("node:worker_threads");
const { performance } = require("node:perf_hooks");

const file = process.env.THREAD_PROBE_FILE;

/** CPU time and run-queue wait (ms) of a thread, from its schedstat line. */
function schedstat(path) {
  const f = fs.readFileSync(path, "utf8").split(" ");
  return { cpu: Number(f[0]) / 1e6, runQueue: Number(f[1]) / 1e6 };
}

/** CPU ms of every thread of the process, by thread id. */
function allThreads() {
  const out = {};
  for (const tid of fs.readdirSync("/proc/self/task")) {
    try {
      out[tid] = schedstat(`/proc/self/task/${tid}/schedstat`).cpu;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

if (file) {
  const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
  const log = (event, extra) => {
    const elu = performance.eventLoopUtilization();
    const line = { event, tid, main: wt.isMainThread, t: Number(process.hrtime.bigint()) / 1e6, ...schedstat("/proc/thread-self/schedstat"), idle: elu.idle, active: elu.active, ...extra };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  if (wt.isMainThread) {
    // bench/measure.ts calls process.cpuUsage() once before the implementation and once, with the
    // first reading, after it: those calls mark the measured span.
    const cpuUsage = process.cpuUsage;
    let state = "before";
    process.cpuUsage = function (previous) {
      if (!previous && state === "before") {
        state = "running";
        log("start", { threads: allThreads() });
      } else if (previous && state === "running") {
        state = "after";
        log("end", { threads: allThreads() });
      }
      return cpuUsage.call(this, previous);
    };
    const Worker = wt.Worker;
    const postMessage = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (m, transfer) {
      if (m && m.type === "run") log("run-posted", { worker: this.threadId });
      return postMessage.call(this, m, transfer);
    };
    const on = Worker.prototype.on;
    Worker.prototype.on = function (name, listener) {
      if (name !== "message") return on.call(this, name, listener);
      return on.call(this, name, function (m) {
        if (m && m.type === "done") log("worker-done", { worker: this.threadId });
        return listener.apply(this, arguments);
      });
    };
  } else if (wt.parentPort) {
    // A worker of the runner (the loader-hooks thread of `--import tsx` has no parent port).
    log("loaded");
    const port = wt.parentPort;
    const post = port.postMessage;
    port.postMessage = function (m, transfer) {
      if (m && (m.type === "ready" || m.type === "done")) log(m.type);
      return post.call(this, m, transfer);
    };
    const on = port.on;
    port.on = function (name, listener) {
      if (name !== "message") return on.call(this, name, listener);
      return on.call(this, name, function (m) {
        if (m && m.type === "run") log("run-received");
        return listener.apply(this, arguments);
      });
    };
  }
}
