/**
 * A plan of faults derived from a seed alone: the same seed and count give the same faults, so a run
 * that failed under them can be replayed. The kinds take turns in an order the seed shuffles, so a
 * plan of seven faults or more holds every kind; where each fires (the occurrence of its point) and
 * how often or how long are drawn from the seed too, small enough that a short run reaches them.
 */
import { seededRandom } from "./seeded-random";
import { IO_RETRY_POLICY } from "../../../sdk/retry";
import { formatFault, type ArmedFault, type FaultAction, type FaultPoint } from "./fault-points";

/** Transient failures in a row that a read or a commit rides out (sources and sinks retry with `IO_RETRY_POLICY`); one more fails it. */
export const TRANSIENT_RETRIES = IO_RETRY_POLICY.attempts - 1;

/** The kinds of fault a plan draws from. */
export const FAULT_KINDS = [
  /** The thread running an instance dies at a seeded batch. */
  "thread-kill",
  /** The process is killed (SIGKILL) as a seeded checkpoint's barriers go through the instances. */
  "crash-at-barrier",
  /** The process is killed as an instance writes its file of a checkpoint. */
  "crash-in-checkpoint-write",
  /** The process is killed as a sink publishes what a checkpoint staged. */
  "crash-in-sink-commit",
  /** A source's read fails a few times in a row (retried). */
  "read-failure",
  /** A sink's commit fails a few times in a row (retried). */
  "commit-failure",
  /** A part of a source (a split, a partition) starts late. */
  "part-delay",
] as const;

/** A kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One fault of a plan: its kind, and where and how it fires. */
export interface PlannedFault extends ArmedFault {
  readonly kind: FaultKind;
}

/** Where and how a fault of `kind` fires, drawing from `random`. */
function shape(kind: FaultKind, random: () => number): { point: FaultPoint; at: number; times: number; action: FaultAction; delayMs: number } {
  const upTo = (n: number) => 1 + Math.floor(random() * n);
  switch (kind) {
    case "thread-kill":
      return { point: "batch", at: upTo(6), times: 1, action: "thread", delayMs: 0 };
    case "crash-at-barrier":
      return { point: "barrier", at: upTo(3), times: 1, action: "crash", delayMs: 0 };
    case "crash-in-checkpoint-write":
      return { point: "checkpoint-write", at: upTo(3), times: 1, action: "crash", delayMs: 0 };
    case "crash-in-sink-commit":
      // The first commit: a run whose output comes at the end (a global window) commits once.
      return { point: "sink-commit", at: 1, times: 1, action: "crash", delayMs: 0 };
    case "read-failure":
      return { point: "source-read", at: upTo(2), times: upTo(2), action: "transient", delayMs: 0 };
    case "commit-failure":
      return { point: "sink-commit", at: 1, times: upTo(2), action: "transient", delayMs: 0 };
    case "part-delay":
      return { point: "part-read", at: 1, times: 1, action: "delay", delayMs: 20 * upTo(10) };
  }
}

/** The `count` faults of seed `seed`, numbered from 1. */
export function faultPlan(seed: number, count: number): PlannedFault[] {
  const random = seededRandom(seed);
  const faults: PlannedFault[] = [];
  let turn: FaultKind[] = [];
  for (let id = 1; id <= count; id++) {
    if (turn.length === 0) {
      turn = [...FAULT_KINDS];
      for (let i = turn.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [turn[i], turn[j]] = [turn[j], turn[i]];
      }
    }
    const kind = turn.shift()!;
    const fault = { id, kind, ...shape(kind, random) };
    // Faults at one point fire one after the other: transient ones could fail a read or commit in a
    // row more often than it retries. Past that budget, a kind of transient fault loses its turn.
    const failing = (point: FaultPoint) => faults.reduce((n, f) => n + (f.point === point && f.action === "transient" ? f.times : 0), 0);
    if (fault.action === "transient" && failing(fault.point) + fault.times > TRANSIENT_RETRIES) {
      id--;
      continue;
    }
    faults.push(fault);
  }
  return faults;
}

/** The faults as `BEAMLINE_FAULT` arms them. */
export function faultSpec(faults: readonly ArmedFault[]): string {
  return faults.map(formatFault).join(",");
}
