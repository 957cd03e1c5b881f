/**
 * Retry policies of element-wise transforms: how many attempts an element gets, how long to wait
 * between them (exponential backoff with jitter) and which errors are worth another attempt.
 */
import { BeamlineError, PipelineConstructionError } from "./errors";
import type { JsonValue } from "./graph";

/** How a transform retries an element its function threw on, before failing or dead-lettering it. */
export interface RetryPolicy {
  /** How many times an element is tried in all, the first attempt included (an integer of 1 or more). */
  readonly attempts: number;
  /** The wait before the second attempt, in ms; 100 by default. */
  readonly initialBackoffMs?: number;
  /** The longest wait between two attempts, in ms; 10 000 by default. */
  readonly maxBackoffMs?: number;
  /** What each wait is multiplied by for the next; 2 by default. */
  readonly multiplier?: number;
  /** The random share of each wait, 0 to 1: a wait `w` becomes one drawn from `[w·(1−jitter), w]`; 0.5 by default. */
  readonly jitter?: number;
  /** Which errors are worth another attempt; by default a `BeamlineError` whose `retriable` is true. */
  readonly retryIf?: (error: unknown) => boolean;
}

/** A retry policy with every default filled in. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

/** The default of `retryIf`: errors that say a retry may succeed. */
export function isRetriable(error: unknown): boolean {
  return error instanceof BeamlineError && error.retriable;
}

/** Checks a retry policy and fills in its defaults; `where` names the transform in errors. */
export function resolveRetryPolicy(policy: RetryPolicy, where: string): ResolvedRetryPolicy {
  const bad = (field: string, value: unknown, rule: string, fix: string): never => {
    throw new PipelineConstructionError({ code: "BL_BAD_RETRY_POLICY", where: `${where} retry.${field}`, value, rule, fix });
  };
  if (!policy || typeof policy !== "object") bad("attempts", policy, "a retry policy is an object", "pass { attempts: 3 } or more fields");
  const resolved: ResolvedRetryPolicy = {
    attempts: policy.attempts,
    initialBackoffMs: policy.initialBackoffMs ?? 100,
    maxBackoffMs: policy.maxBackoffMs ?? 10_000,
    multiplier: policy.multiplier ?? 2,
    jitter: policy.jitter ?? 0.5,
    retryIf: policy.retryIf ?? isRetriable,
  };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) bad("attempts", policy.attempts, "attempts must be an integer of 1 or more (the first attempt counts)", "pass e.g. attempts: 3");
  for (const f of ["initialBackoffMs", "maxBackoffMs"] as const) {
    if (!(Number.isFinite(resolved[f]) && resolved[f] >= 0)) bad(f, resolved[f], `${f} must be a finite number of milliseconds, 0 or more`, `pass e.g. ${f}: 100`);
  }
  if (!(Number.isFinite(resolved.multiplier) && resolved.multiplier >= 1)) bad("multiplier", resolved.multiplier, "the multiplier must be a finite number of 1 or more", "pass e.g. multiplier: 2");
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) bad("jitter", resolved.jitter, "jitter must be between 0 and 1", "pass e.g. jitter: 0.5");
  if (typeof resolved.retryIf !== "function") bad("retryIf", resolved.retryIf, "retryIf must be a function of the error", "pass e.g. retryIf: (e) => e instanceof TimeoutError");
  return resolved;
}

/** A resolved policy as it appears in a transform's payload (its `retryIf` function is not data). */
export function retryPolicyPayload(p: ResolvedRetryPolicy): JsonValue {
  return { attempts: p.attempts, initialBackoffMs: p.initialBackoffMs, maxBackoffMs: p.maxBackoffMs, multiplier: p.multiplier, jitter: p.jitter };
}

/** The wait (ms) after failed attempt `attempt` (1-based): exponential, capped, less a random share. */
export function backoffMs(p: ResolvedRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const full = Math.min(p.maxBackoffMs, p.initialBackoffMs * p.multiplier ** (attempt - 1));
  return full * (1 - p.jitter * random());
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread for `ms`. Element-wise functions are synchronous, so a retried element waits
 * where it is, holding back the rest of its batch (backpressure on its input).
 */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(SLEEPER, 0, 0, ms);
}
