/**
 * Restart strategies: when a worker thread dies, the run starts again (from the latest completed
 * checkpoint when there is one; from the beginning otherwise — sinks committed nothing of a failed
 * attempt) after a delay, up to a number of attempts. Errors that a retry cannot fix — user code
 * that throws, bad input, a nondeterministic construction — fail the run at once.
 */
import { BeamlineError, OptionError } from "../../../sdk/errors";

/** How a run restarts after a worker thread fails. */
export type RestartStrategy =
  | { readonly kind: "none" }
  | { readonly kind: "fixed-delay"; readonly attempts: number; readonly delayMs: number }
  | { readonly kind: "exponential-backoff"; readonly attempts: number; readonly delayMs: number; readonly maxDelayMs: number; readonly multiplier: number };

/** The names of the strategies, as the command line takes them. */
export const RESTART_STRATEGIES = ["none", "fixed-delay", "exponential-backoff"] as const;

/** Builds a strategy from its name and numbers, checking them. */
export function restartStrategy(kind: (typeof RESTART_STRATEGIES)[number], attempts = 3, delayMs = 1000): RestartStrategy {
  if (kind === "none") return { kind };
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new OptionError({ code: "BL_BAD_RESTART_ATTEMPTS", value: attempts, rule: "restart attempts must be a positive integer", fix: "pass --restart-attempts=N with N >= 1" });
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new OptionError({ code: "BL_BAD_RESTART_DELAY", value: delayMs, rule: "the restart delay must be a non-negative number of milliseconds", fix: "pass --restart-delay=MS, e.g. 1000" });
  }
  if (kind === "fixed-delay") return { kind, attempts, delayMs };
  return { kind, attempts, delayMs, maxDelayMs: Math.max(delayMs, 60_000), multiplier: 2 };
}

/** The delay before restart number `attempt` (1 for the first restart), or null when the strategy gives up. */
export function restartDelay(s: RestartStrategy, attempt: number): number | null {
  if (s.kind === "none" || attempt > s.attempts) return null;
  if (s.kind === "fixed-delay") return s.delayMs;
  return Math.min(s.maxDelayMs, s.delayMs * s.multiplier ** (attempt - 1));
}

/** Whether restarting can help: a worker thread died, or the error says a retry may succeed. */
export function isRestartable(e: unknown): boolean {
  if (e instanceof BeamlineError) return e.retriable;
  return true; // not a Beamline error: a crash of the thread or the runtime, not a rule the pipeline broke
}
