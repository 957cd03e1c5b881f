/**
 * Fault injection for recovery tests, on the real code paths. With `BEAMLINE_FAULT=<point>:<n>` in
 * the environment, a thread dies the n-th time it reaches `<point>`: the main thread kills the
 * process (SIGKILL, as `kill -9` would), a worker thread exits (the thread dies, the process lives
 * on). Points named `worker-…` count in worker threads only. With `BEAMLINE_FAULT_ONCE=<file>`, the
 * fault creates that file and no thread fails once it exists (a restarted run then succeeds).
 * A failure point (`checkpoint-write`) throws instead, as a full disk would (ENOSPC), the n-th time
 * the thread reaches it, and with `<point>:<n>+` every later time too. Without the variable, a fault
 * point costs one comparison.
 */
import * as fs from "node:fs";
import { isMainThread } from "node:worker_threads";

/** Where a run can be made to die. */
export type FaultPoint =
  /** Every instance wrote its file of a checkpoint; the manifest is not written. */
  | "checkpoint-files"
  /** A checkpoint's manifest is written; its sinks have not committed. */
  | "checkpoint-complete"
  /** A sink is about to publish (rename) what a completed checkpoint staged. */
  | "sink-commit"
  /** A worker thread's exchange received a batch. */
  | "worker-batch";

/** Where a write can be made to fail, as on a full disk. */
export type FailurePoint =
  /** An instance writes its file of a checkpoint. */
  "checkpoint-write";

const wanted = (() => {
  const spec = process.env.BEAMLINE_FAULT;
  const m = spec ? /^([a-z-]+):(\d+)(\+?)$/.exec(spec) : null;
  return m ? { point: m[1], n: Number(m[2]), onwards: m[3] === "+", once: process.env.BEAMLINE_FAULT_ONCE ?? "" } : null;
})();
let reached = 0;

/** Marks that the run reached `point`; dies there if the environment asks for it. */
export function faultPoint(point: FaultPoint): void {
  if (wanted === null || wanted.point !== point) return;
  if (point.startsWith("worker-") && isMainThread) return;
  if (++reached !== wanted.n) return;
  if (wanted.once) {
    if (fs.existsSync(wanted.once)) return;
    fs.writeFileSync(wanted.once, point);
  }
  if (isMainThread) process.kill(process.pid, "SIGKILL");
  else process.exit(70);
}

/** Marks that the thread is about to write at `point`; throws ENOSPC there if the environment asks for it. */
export function failurePoint(point: FailurePoint): void {
  if (wanted === null || wanted.point !== point) return;
  const n = ++reached;
  if (n < wanted.n || (n > wanted.n && !wanted.onwards)) return;
  throw Object.assign(new Error(`ENOSPC: no space left on device (simulated by BEAMLINE_FAULT=${process.env.BEAMLINE_FAULT})`), { code: "ENOSPC" });
}
