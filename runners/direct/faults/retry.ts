/**
 * Retrying transient failures where they happen: a source's read and a sink's commit that throw a
 * {@link TransientError} are tried again, a few times in a row with doubling backoff (10 ms, at most 200 ms), before the
 * failure fails the instance (and the restart strategy takes over).
 */
import { TransientError } from "../../../sdk/errors";

/** Transient failures in a row a read or a commit rides out; one more fails it. */
export const TRANSIENT_RETRIES = 8;

/** The wait before retry number `failures` (from 1) after `e`, or null when it is not retried. */
export function transientRetryDelay(e: unknown, failures: number): number | null {
  if (!(e instanceof TransientError) || failures > TRANSIENT_RETRIES) return null;
  return Math.min(200, 10 * 2 ** (failures - 1));
}

/** Runs `f`, retrying it after transient failures (`onRetry` hears of each); throws any other failure, or the last one. */
export async function retryTransient<T>(f: () => Promise<T>, onRetry: (e: TransientError) => void): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await f();
    } catch (e) {
      const delay = transientRetryDelay(e, failures);
      if (delay === null) throw e;
      onRetry(e as TransientError);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
