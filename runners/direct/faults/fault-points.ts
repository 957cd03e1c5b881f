/**
 * Fault injection on the real code paths. `BEAMLINE_FAULT` in the environment arms one fault or a
 * comma-separated list, each `[ID@]POINT:N[+|xK][/ACTION[:MS]]`: the fault fires the N-th time a
 * thread reaches POINT (counted in each thread; a second fault at the same point counts from where
 * the first is done), and with `xK` the K-1 times after it too (with `+`, every later time). What it does, by ACTION:
 * - `die` (the default, but for `checkpoint-write`): the main thread kills the process (SIGKILL, as
 *   `kill -9` would), a worker thread exits (the thread dies, the process lives on);
 * - `crash`: the process is killed (SIGKILL) from whichever thread reached the point;
 * - `thread`: the instance's thread dies: a worker thread exits, the main thread's instance fails with
 *   a retriable error as its death would (the process lives on; the restart strategy applies);
 * - `enospc` (the default for `checkpoint-write`): throws ENOSPC, as a full disk would;
 * - `eio`: throws EIO, as a failing disk or network read would (sources retry it as a transient I/O error);
 * - `transient`: throws a {@link TransientError}, which the read or commit at the point retries;
 * - `delay:MS`: {@link faultDelay} at the point answers MS (the caller waits that long).
 * Points named `worker-…` count in worker threads only. A fault fires once per run when the
 * environment names where to record it: `BEAMLINE_FAULT_ONCE=<file>` (one fault: the file) or
 * `BEAMLINE_FAULT_LOG=<dir>` (a file per fault ID); the first thread to create the file fires it, and
 * no thread once it exists (a restarted or resumed run then goes past the point). A fault that fires
 * says so on stderr. Without the variable, a fault point costs one comparison.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMainThread } from "node:worker_threads";
import { BeamlineError, TransientError } from "../../../sdk/errors";

/** Where a run can be made to fail. */
export type FaultPoint =
  /** Every instance wrote its file of a checkpoint; the manifest is not written. */
  | "checkpoint-files"
  /** A checkpoint's manifest is written; its sinks have not committed. */
  | "checkpoint-complete"
  /** A sink is about to publish (rename, commit a transaction) what a completed checkpoint staged; reached again by each retry. */
  | "sink-commit"
  /** A worker thread's exchange received a batch. */
  | "worker-batch"
  /** An instance writes its file of a checkpoint. */
  | "checkpoint-write"
  /** The main thread triggered a checkpoint: its barriers are on their way through every instance. */
  | "barrier"
  /** An operator emitted a batch, in any thread running an instance. */
  | "batch"
  /** A source delivered a chunk of a part (a failure here drops the chunk; the read is retried from the part's position). */
  | "source-read"
  /** A part of a source (a file's split, a partition) is about to be read. */
  | "part-read";

/** What a fault does where it fires (see the module's comment). */
export type FaultAction = "die" | "crash" | "thread" | "enospc" | "eio" | "transient" | "delay";

/** A fault armed by the environment. */
export interface ArmedFault {
  /** Its number in a plan (0 when the spec gives none). */
  readonly id: number;
  readonly point: FaultPoint;
  /** The occurrence of the point it fires at, from 1. */
  readonly at: number;
  /** How many occurrences in a row it fires at (Infinity: every one from `at` on). */
  readonly times: number;
  readonly action: FaultAction;
  /** For `delay`: how long. */
  readonly delayMs: number;
}

const POINTS: readonly FaultPoint[] = ["checkpoint-files", "checkpoint-complete", "sink-commit", "worker-batch", "checkpoint-write", "barrier", "batch", "source-read", "part-read"];
const ACTIONS: readonly FaultAction[] = ["die", "crash", "thread", "enospc", "eio", "transient", "delay"];

/** Formats a fault the way `BEAMLINE_FAULT` takes it. */
export function formatFault(f: ArmedFault): string {
  const times = f.times === Infinity ? "+" : f.times > 1 ? `x${f.times}` : "";
  const action = f.action === "delay" ? `/delay:${f.delayMs}` : `/${f.action}`;
  return `${f.id}@${f.point}:${f.at}${times}${action}`;
}

/** Parses a `BEAMLINE_FAULT` value; throws naming the part it cannot read. */
export function parseFaults(spec: string): ArmedFault[] {
  return spec.split(",").map((part) => {
    const m = /^(?:(\d+)@)?([a-z-]+):(\d+)(\+|x\d+)?(?:\/([a-z]+)(?::(\d+))?)?$/.exec(part.trim());
    const point = m?.[2] as FaultPoint;
    const action = (m?.[5] ?? (point === "checkpoint-write" ? "enospc" : "die")) as FaultAction;
    if (!m || !POINTS.includes(point) || !ACTIONS.includes(action) || Number(m[3]) < 1 || (action === "delay" && m[6] === undefined)) {
      throw new BeamlineError({
        code: "BL_BAD_FAULT_SPEC",
        where: "BEAMLINE_FAULT",
        value: part,
        rule: `a fault is [ID@]POINT:N[+|xK][/ACTION[:MS]], POINT one of ${POINTS.join(", ")}, ACTION one of ${ACTIONS.join(", ")} (delay takes :MS)`,
        fix: "correct the variable, e.g. BEAMLINE_FAULT=sink-commit:2 or BEAMLINE_FAULT=source-read:1x2/transient",
      });
    }
    const times = m[4] === "+" ? Infinity : m[4] ? Math.max(1, Number(m[4].slice(1))) : 1;
    return { id: Number(m[1] ?? 0), point, at: Number(m[3]), times, action, delayMs: Number(m[6] ?? 0) };
  });
}

/** What a fault does, in words: "the process is killed (SIGKILL) at sink-commit #2". */
export function describeFault(f: ArmedFault): string {
  const at = `${f.point} #${f.at}`;
  const times = f.times === Infinity ? "every time from" : f.times > 1 ? `${f.times} times from` : "at";
  switch (f.action) {
    case "die":
      return `the thread that reaches ${at} dies (the process, on the main thread)`;
    case "crash":
      return `the process is killed (SIGKILL) at ${at}`;
    case "thread":
      return `the thread running an instance dies at ${at}`;
    case "enospc":
      return `the write fails with ENOSPC ${times} ${at}`;
    case "eio":
      return `${f.point} fails with EIO ${times} ${at}`;
    case "transient":
      return `${f.point} fails (a transient error, retried) ${times} ${at}`;
    case "delay":
      return `${f.point} is delayed ${f.delayMs} ms at ${at}`;
  }
}

const armed: ArmedFault[] | null = (() => {
  const spec = process.env.BEAMLINE_FAULT;
  return spec ? parseFaults(spec) : null;
})();
/** By point, the faults armed there that this thread has yet to fire, in order, each with the occurrences it counted. */
const queues = new Map<FaultPoint, { readonly fault: ArmedFault; count: number }[]>();
/** The faults this thread fired, which it goes on firing at later occurrences (`xK`, `+`) whoever else would claim them. */
const mine = new Set<ArmedFault>();
// Captured before any instance replaces process.exit (see `parallel/exit-guard.ts`): a fault ends the thread for real.
const exitThread = process.exit.bind(process);

/** Where a fault records that it fired, or null when it fires every run. */
function claimFile(f: ArmedFault): string | null {
  const log = process.env.BEAMLINE_FAULT_LOG;
  if (log) return path.join(log, `fault-${f.id}`);
  return process.env.BEAMLINE_FAULT_ONCE || null;
}

/** Whether this thread fires `f` now: the first to claim it (or it fires every run). */
function claim(f: ArmedFault): boolean {
  if (mine.has(f)) return true;
  const file = claimFile(f);
  if (file) {
    try {
      fs.writeFileSync(file, `${describeFault(f)}\n`, { flag: "wx" });
    } catch {
      return false; // fired already, here or in an earlier attempt
    }
  }
  mine.add(f);
  return true;
}

/**
 * The armed fault that fires at this occurrence of `point`, if any. The faults at a point take turns,
 * in order: each counts the occurrences after the one before it is done (fired, or claimed by another
 * thread or attempt), so several faults at one point all fire, one after the other.
 */
function firing(point: FaultPoint): ArmedFault | null {
  if (point.startsWith("worker-") && isMainThread) return null;
  let queue = queues.get(point);
  if (queue === undefined) queues.set(point, (queue = armed!.filter((f) => f.point === point).map((fault) => ({ fault, count: 0 }))));
  while (queue.length > 0) {
    const head = queue[0];
    if (++head.count < head.fault.at) return null;
    if (!claim(head.fault)) {
      queue.shift(); // fired elsewhere: the next fault counts this occurrence
      continue;
    }
    const f = head.fault;
    const k = head.count - f.at + 1;
    if (k >= f.times) queue.shift();
    const repeat = f.times > 1 ? ` (${k}${f.times === Infinity ? "" : ` of ${f.times}`})` : "";
    fs.writeSync(2, `beamline: injected fault${f.id ? ` #${f.id}` : ""} fires: ${describeFault(f)}${repeat}\n`);
    return f;
  }
  return null;
}

/** Marks that the run reached `point`; fails there when an armed fault says so. */
export function faultPoint(point: FaultPoint): void {
  if (armed === null) return;
  const f = firing(point);
  if (f !== null) act(f, point);
}

/** Marks that the run reached `point`; the milliseconds to wait there when an armed delay fires (else 0). */
export function faultDelay(point: FaultPoint): number {
  if (armed === null) return 0;
  const f = firing(point);
  if (f === null) return 0;
  act(f, point);
  return f.delayMs;
}

/** Does what fault `f` does at `point`. */
function act(f: ArmedFault, point: FaultPoint): void {
  switch (f.action) {
    case "crash":
      process.kill(process.pid, "SIGKILL");
      return;
    case "die":
      if (isMainThread) process.kill(process.pid, "SIGKILL");
      else exitThread(70);
      return;
    case "thread":
      if (!isMainThread) exitThread(70);
      throw new BeamlineError({
        code: "BL_INJECTED_FAULT",
        domain: "external",
        retriable: true,
        value: formatFault(f),
        rule: "an injected fault ended the thread running instance 0 of the pipeline (the main thread, which cannot die alone)",
        fix: "none: the restart strategy restarts the run",
      });
    case "enospc":
      throw Object.assign(new Error(`ENOSPC: no space left on device (simulated by BEAMLINE_FAULT=${process.env.BEAMLINE_FAULT})`), { code: "ENOSPC" });
    case "eio":
      throw Object.assign(new Error(`EIO: i/o error (simulated by BEAMLINE_FAULT=${process.env.BEAMLINE_FAULT})`), { code: "EIO" });
    case "transient":
      throw new TransientError({ code: "BL_INJECTED_FAULT", domain: "external", value: formatFault(f), rule: `an injected transient failure at ${point}`, fix: "none: the operation is retried" });
    case "delay":
      return;
  }
}
