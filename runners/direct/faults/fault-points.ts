/**
 * Fault injection for recovery tests, on the real code paths. With `BEAMLINE_FAULT=<point>:<n>` in
 * the environment, a thread dies the n-th time it reaches `<point>`: the main thread kills the
 * process (SIGKILL, as `kill -9` would), a worker thread exits (the thread dies, the process lives
 * on). Points named `worker-…` count in worker threads only. With `BEAMLINE_FAULT_ONCE=<file>`, the
 * fault creates that file and no thread fails once it exists (a restarted run then succeeds).
 * A failure point (`checkpoint-write`, `source-read`) throws instead, as a full disk (ENOSPC) or a
 * failing read (EIO) would, the n-th time the thread reaches it, with `<point>:<n>+` every later time
 * too, and with `<point>:<n>-<m>` the n-th to the m-th time. Without the variable, a fault point costs
 * one comparison.
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

/** Where I/O can be made to fail, as on a full disk or a flaky one. */
export type FailurePoint =
  /** An instance writes its file of a checkpoint (fails with ENOSPC). */
  | "checkpoint-write"
  /** A read operator got a chunk from its source, before it delivers it (fails with EIO, as a failed read). */
  | "source-read";

/** The error each failure point throws. */
const FAILURES: Record<FailurePoint, [code: string, message: string]> = {
  "checkpoint-write": ["ENOSPC", "no space left on device"],
  "source-read": ["EIO", "i/o error"],
};

const wanted = (() => {
  const spec = process.env.BEAMLINE_FAULT;
  const m = spec ? /^([a-z-]+):(\d+)(\+|-\d+)?$/.exec(spec) : null;
  if (!m) return null;
  const n = Number(m[2]);
  const last = m[3] === "+" ? Infinity : m[3] ? Number(m[3].slice(1)) : n;
  return { point: m[1], n, last, once: process.env.BEAMLINE_FAULT_ONCE ?? "" };
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

/** Marks that the thread is at I/O point `point`; throws that point's error there if the environment asks for it. */
export function failurePoint(point: FailurePoint): void {
  if (wanted === null || wanted.point !== point) return;
  const n = ++reached;
  if (n < wanted.n || n > wanted.last) return;
  const [code, message] = FAILURES[point];
  throw Object.assign(new Error(`${code}: ${message} (simulated by BEAMLINE_FAULT=${process.env.BEAMLINE_FAULT})`), { code });
}
