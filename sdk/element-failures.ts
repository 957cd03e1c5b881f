/**
 * What an element-wise transform does when its function throws on an element: retry it under a
 * policy, then route it to the `deadLetter` output (or fail the run), and fail the run anyway when
 * too many elements went to dead letters. The options users pass, their resolved runtime form, and
 * the bookkeeping every runner's invoker shares.
 */
import { BeamlineError, PipelineConstructionError, UserCodeError, wrapUserError } from "./errors";
import type { JsonValue } from "./graph";
import { backoffMs, resolveRetryPolicy, retryPolicyPayload, sleepSync, type ResolvedRetryPolicy, type RetryPolicy } from "./retry";

/** Limits on a transform's dead letters, past which the run fails naming the transform. */
export interface DeadLetterLimits {
  /**
   * Fail the run when more than this share (0 to 1) of the transform's elements went to dead letters.
   * Checked per instance after each batch once it has seen 100 elements, and, on the direct runner,
   * when its input ends.
   */
  readonly maxDeadLetterRatio?: number;
  /** Fail the run when more than this many of the transform's elements (per instance) went to dead letters. */
  readonly maxDeadLetters?: number;
}

/**
 * Options of element-wise transforms about elements their function throws on: the row function, a
 * DoFn's `process`, a mapBatches function on one row, or a map's output row that does not fit the
 * declared schema. A DoFn's `setup`, `startBundle` and `finishBundle` belong to no element: when
 * they throw, the run fails.
 */
export interface FailureOptions extends DeadLetterLimits {
  /** Route elements the function throws on to a `deadLetter` output instead of failing the run. */
  readonly deadLetter?: boolean;
  /** Retry an element the function throws on under this policy, before it fails the run or goes to dead letters. */
  readonly retry?: RetryPolicy;
}

/** How a ParDo handles elements its function throws on, resolved (part of its runtime object). */
export interface FailureHandling {
  /** Whether failing elements go to the `deadLetter` output (else, after any retries, the run fails). */
  readonly deadLetter: boolean;
  /** The largest share of dead-lettered elements the run tolerates, or null. */
  readonly maxDeadLetterRatio: number | null;
  /** The largest number of dead-lettered elements the run tolerates, or null. */
  readonly maxDeadLetters: number | null;
  /** The retry policy, or null for a single attempt. */
  readonly retry: ResolvedRetryPolicy | null;
}

/** How many elements an instance sees before its dead-letter ratio is checked (before its input ends). */
export const RATIO_MIN_ELEMENTS = 100;

/** Checks failure options and resolves them; null when they ask for nothing. `where` names the transform. */
export function resolveFailureHandling(o: FailureOptions | undefined, where: string): FailureHandling | null {
  if (!o) return null;
  const deadLetter = o.deadLetter === true;
  const bad = (option: string, value: unknown, rule: string, fix: string): never => {
    throw new PipelineConstructionError({ code: "BL_BAD_DEAD_LETTER_OPTION", where: `${where} option ${option}`, value, rule, fix });
  };
  if (o.deadLetter !== undefined && typeof o.deadLetter !== "boolean") bad("deadLetter", o.deadLetter, "deadLetter is true or false", "pass { deadLetter: true }");
  const { maxDeadLetterRatio: ratio, maxDeadLetters: count } = o;
  if (ratio !== undefined && !(typeof ratio === "number" && ratio >= 0 && ratio <= 1)) bad("maxDeadLetterRatio", ratio, "maxDeadLetterRatio is a share between 0 and 1", "pass e.g. maxDeadLetterRatio: 0.01 (1%)");
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) bad("maxDeadLetters", count, "maxDeadLetters is an integer of 0 or more", "pass e.g. maxDeadLetters: 100");
  if (!deadLetter && (ratio !== undefined || count !== undefined)) {
    bad(ratio !== undefined ? "maxDeadLetterRatio" : "maxDeadLetters", ratio ?? count, "a limit on dead letters needs a dead-letter output", "add deadLetter: true (or call .withDeadLetter({ … }))");
  }
  const retry = o.retry !== undefined ? resolveRetryPolicy(o.retry, where) : null;
  if (!deadLetter && !retry) return null;
  return { deadLetter, maxDeadLetterRatio: ratio ?? null, maxDeadLetters: count ?? null, retry };
}

/** Failure handling as it appears in a transform's payload. */
export function failureHandlingPayload(h: FailureHandling): JsonValue {
  return { deadLetter: h.deadLetter, maxDeadLetterRatio: h.maxDeadLetterRatio, maxDeadLetters: h.maxDeadLetters, retry: h.retry ? retryPolicyPayload(h.retry) : null };
}

/** How an element's attempts ended when none succeeded. */
export interface ElementFailure {
  /** The last error. */
  readonly error: unknown;
  /** How many attempts were made. */
  readonly attempts: number;
}

/** One transform instance's retries and dead-letter counts, and the guard on them. */
export class ElementFailures {
  private elements = 0;
  private deadLetters = 0;
  private lastError: unknown = undefined;

  constructor(
    /** The transform's unique name. */
    readonly transform: string,
    readonly handling: FailureHandling,
    /** Adds to a named counter of the transform (`retries`, `deadLetters`) in the run's metrics. */
    private readonly count: (counter: string, n: number) => void = () => {},
  ) {}

  /**
   * The first attempt at an element threw `error`: retries `again` while the policy allows. Returns
   * null when a retry succeeded, else the last error and the number of attempts. An internal error is
   * no element's fault and is thrown on.
   */
  retry(error: unknown, again: () => void): ElementFailure | null {
    rethrowInternal(error);
    const p = this.handling.retry;
    let attempts = 1;
    if (p) {
      while (attempts < p.attempts && p.retryIf(error)) {
        sleepSync(backoffMs(p, attempts));
        attempts++;
        this.count("retries", 1);
        try {
          again();
          return null;
        } catch (e) {
          rethrowInternal(e);
          error = e;
        }
      }
    }
    return { error, attempts };
  }

  /** The error that fails the run for an element that could not be processed (no dead-letter output). */
  failRun(f: ElementFailure, element: unknown): BeamlineError {
    if (f.attempts === 1) return wrapUserError(f.error, this.transform, element);
    const message = f.error instanceof Error ? f.error.message : String(f.error);
    return new UserCodeError({
      code: "BL_RETRIES_EXHAUSTED",
      where: `transform "${this.transform}"`,
      value: element,
      rule: `the user function still threw after ${f.attempts} attempts: ${message}`,
      fix: "fix the function or the service it calls, allow more attempts, or route such elements to a dead-letter output with { deadLetter: true }",
      cause: f.error,
    });
  }

  /** Counts an element that went to dead letters with `error`; fails the run at once past `maxDeadLetters`. */
  deadLettered(error: unknown): void {
    this.deadLetters++;
    this.lastError = error;
    this.count("deadLetters", 1);
    if (this.handling.maxDeadLetters !== null && this.deadLetters > this.handling.maxDeadLetters) this.check(false);
  }

  /** Counts a batch of `n` elements, after its dead letters: fails the run past a limit. */
  counted(n: number): void {
    this.elements += n;
    if (this.deadLetters > 0) this.check(this.elements >= RATIO_MIN_ELEMENTS);
  }

  /** The input ended: checks the ratio whatever the number of elements seen. */
  finish(): void {
    this.check(true);
  }

  private check(withRatio: boolean): void {
    const { maxDeadLetters: max, maxDeadLetterRatio: ratio } = this.handling;
    const over = max !== null && this.deadLetters > max;
    const overRatio = withRatio && ratio !== null && this.elements > 0 && this.deadLetters / this.elements > ratio;
    if (!over && !overRatio) return;
    const last = this.lastError instanceof Error ? `${this.lastError.name}: ${this.lastError.message}` : String(this.lastError);
    throw new UserCodeError({
      code: "BL_TOO_MANY_DEAD_LETTERS",
      where: `transform "${this.transform}"`,
      value: over ? { deadLetters: this.deadLetters } : { deadLetters: this.deadLetters, elements: this.elements },
      rule: over
        ? `more than maxDeadLetters (${max}) of its elements went to dead letters; the last error: ${last}`
        : `more than maxDeadLetterRatio (${ratio}) of its elements went to dead letters; the last error: ${last}`,
      fix: "fix the function or its input, or raise the limit if such a share of bad elements is expected",
      cause: this.lastError,
    });
  }
}

function rethrowInternal(e: unknown): void {
  if (e instanceof BeamlineError && e.domain === "internal") throw e;
}
