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

/** Node system error codes of I/O that may succeed when tried again (a busy or flaky disk, a network hiccup, too many open files). */
const TRANSIENT_IO_CODES = new Set(["EIO", "EAGAIN", "EBUSY", "EINTR", "ETIMEDOUT", "ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EMFILE", "ENFILE"]);

/** Whether an I/O error is worth another attempt: a `BeamlineError` that says so, or a Node system error that may pass (EIO, EAGAIN, ECONNRESET, …). */
export function isTransientIo(error: unknown): boolean {
  if (error instanceof BeamlineError) return error.retriable;
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && TRANSIENT_IO_CODES.has(code);
}

/** How sources and sinks retry transient I/O: 5 attempts, waits from 200 ms doubling up to 5 s, less up to half at random. */
export const IO_RETRY_POLICY: ResolvedRetryPolicy = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 5_000, multiplier: 2, jitter: 0.5, retryIf: isTransientIo };

/** Hooks of {@link retryAsync}. */
export interface RetryHooks {
  /** Called before each wait, with the error and the attempt (1-based) that failed. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** Whether the operation made progress since it last failed: the attempts then count from 1 again. */
  readonly progressed?: () => boolean;
  /** Waits `ms`; resolves false when the wait was cut short and nothing more should be tried. Default: a timer. */
  readonly sleep?: (ms: number) => Promise<boolean>;
}

/**
 * Runs `fn` until it succeeds, retrying per `policy` the errors its `retryIf` accepts, with its
 * backoff between attempts; throws the last error when an error is not retriable or the attempts are
 * used up. The async counterpart of an element's retries: sources, sinks and connectors retry with it.
 */
export async function retryAsync<T>(fn: (attempt: number) => Promise<T>, policy: ResolvedRetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<boolean>((r) => setTimeout(() => r(true), ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (hooks.progressed?.()) attempt = 1;
      if (attempt >= policy.attempts || !policy.retryIf(e)) throw e;
      hooks.onRetry?.(e, attempt);
      if (!(await sleep(backoffMs(policy, attempt)))) throw e;
    }
  }
}
