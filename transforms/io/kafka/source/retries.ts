/**
 * Kafka requests that may fail while a broker is down or a leader moves: retried with a bounded
 * backoff (100 ms doubling to 2 s) for as long as the run goes on, so the pipeline waits for the
 * cluster; errors that waiting cannot fix (authorization, a deleted topic, an offset the log no longer
 * holds) fail the run with a BL_KAFKA_ error.
 */
import { BeamlineError, IOError } from "../../../../sdk/errors";
import { retryAsync, type ResolvedRetryPolicy } from "../../../../sdk/retry";
import type { ReadContext } from "../../../../sdk/source";

/** After this many tries answered "unknown topic or partition", the topic is taken as deleted. */
const UNKNOWN_TOPIC_TRIES = 10;
const AUTH = new Set(["TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "SASL_AUTHENTICATION_FAILED", "ILLEGAL_SASL_STATE", "UNSUPPORTED_SASL_MECHANISM"]);

/** The BL_ error for a failure that retrying cannot fix, or null when it may pass. */
export function permanentError(e: unknown, attempt: number, where: string, what: string): Error | null {
  if (e instanceof BeamlineError) return e;
  const err = e as { name?: string; type?: string; message?: string; retriable?: boolean; topic?: string; partition?: number };
  if (typeof err?.name !== "string" || !err.name.startsWith("KafkaJS")) return e instanceof Error ? e : new Error(String(e));
  if (AUTH.has(err.type ?? "") || err.name === "KafkaJSSASLAuthenticationError") {
    return new IOError({ code: "BL_KAFKA_AUTH", domain: "external", where, value: what, rule: `Kafka refused access: ${err.message}`, fix: "check the credentials (sasl, ssl) and the ACLs of the topic and group", cause: e });
  }
  if (err.name === "KafkaJSOffsetOutOfRange") {
    return new IOError({ code: "BL_KAFKA_OFFSET_OUT_OF_RANGE", domain: "external", where, value: what, rule: "the offset to read is no longer (or not yet) in the partition's log: retention deleted it, or the topic was recreated", fix: "restart without the checkpoint, from a startOffset the log still holds", cause: e });
  }
  if (err.type === "UNKNOWN_TOPIC_OR_PARTITION" && attempt + 1 >= UNKNOWN_TOPIC_TRIES) {
    return new IOError({ code: "BL_KAFKA_TOPIC_GONE", domain: "external", where, value: what, rule: "the topic or partition does not exist (it was deleted, or never created)", fix: "create the topic, or read topics that exist", cause: e });
  }
  return null;
}

/** How source requests retry: for as long as the run goes on, 100 ms doubling to 2 s between tries. */
export const SOURCE_RETRY: ResolvedRetryPolicy = { attempts: Infinity, initialBackoffMs: 100, maxBackoffMs: 2000, multiplier: 2, jitter: 0, retryIf: (e) => e instanceof MayPass };

/** A failure that may pass, wrapped so the retry loop tells it from the permanent ones. */
class MayPass {
  constructor(readonly error: unknown) {}
}

/** Runs `f` until it succeeds, waiting between tries; null when the run is cancelled meanwhile. */
export async function withRetries<T>(f: () => Promise<T>, ctx: ReadContext | undefined, where: string, what: string, onRetry?: () => Promise<void>): Promise<T | null> {
  let cancelled = false;
  const sleep = async (ms: number): Promise<boolean> => {
    const waited = !ctx?.cancelled && (ctx ? await ctx.sleep(ms) : await new Promise<boolean>((r) => setTimeout(() => r(true), ms)));
    if (!waited) cancelled = true;
    else await onRetry?.().catch(() => {});
    return waited;
  };
  const attempt = (n: number) => f().catch((e) => {
    throw permanentError(e, n - 1, where, what) ?? new MayPass(e);
  });
  try {
    return await retryAsync(attempt, SOURCE_RETRY, { sleep });
  } catch (e) {
    if (cancelled) return null;
    throw e instanceof MayPass ? e.error : e;
  }
}
