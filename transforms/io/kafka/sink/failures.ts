/**
 * Kafka failures: which are worth retrying (a lost connection, a coordinator moving, a transaction
 * still ending), bounded retries with backoff for them, and the Beamline error for the rest.
 */
import { IOError } from "../../../../sdk/errors";
import { retryAsync, type ResolvedRetryPolicy } from "../../../../sdk/retry";

/**
 * How sends retry: bounded exponential backoff (about a minute in all), long enough for a broker restart,
 * after which the send fails and the run with it.
 */
export const SEND_RETRY = { retries: 15, initialRetryTime: 200, maxRetryTime: 5000 };

/** The Kafka protocol error type of `e` or of what it wraps. */
export function protocolType(e: unknown): string | undefined {
  for (let x = e as { type?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 5; x = x.cause as typeof x, depth++) {
    if (typeof x.type === "string") return x.type;
  }
  return undefined;
}

/** Protocol errors after which the same request may succeed: the coordinator moving or loading, an earlier transaction still ending. */
const TRANSIENT = new Set(["CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION"]);

/** kafkajs errors that say a broker or coordinator is not reachable yet (a broker restarting). */
const RETRIABLE_NAMES = new Set(["KafkaJSRequestTimeoutError", "KafkaJSGroupCoordinatorNotFound", "KafkaJSBrokerNotFound", "KafkaJSNoBrokerAvailableError", "KafkaJSMetadataNotLoaded"]);

/** Whether retrying may help: kafkajs marks it retriable, or it is (or wraps) a lost connection or a transient protocol error. */
export function retriable(e: unknown): boolean {
  if ((e as { retriable?: boolean })?.retriable === true) return true;
  for (let x = e as { name?: string; code?: string; type?: string; cause?: unknown } | undefined, depth = 0; x && depth < 5; x = x.cause as typeof x, depth++) {
    if (x.name?.startsWith("KafkaJSConnection") || RETRIABLE_NAMES.has(x.name ?? "") || x.code === "ECONNREFUSED" || x.code === "ECONNRESET" || TRANSIENT.has(x.type ?? "")) return true;
  }
  return false;
}

/** How sends and transaction requests retry: SEND_RETRY's bounds, each wait less up to 40% at random. */
const REQUEST_RETRY: ResolvedRetryPolicy = {
  attempts: SEND_RETRY.retries + 1, initialBackoffMs: SEND_RETRY.initialRetryTime, maxBackoffMs: SEND_RETRY.maxRetryTime, multiplier: 2, jitter: 0.4, retryIf: retriable,
};

/** Runs `fn` with bounded exponential backoff over retriable errors (as sends do), except the protocol errors `final` names; the last error is thrown. */
export function withRetries<T>(fn: () => Promise<T>, final: readonly string[] = []): Promise<T> {
  const policy = final.length === 0 ? REQUEST_RETRY : { ...REQUEST_RETRY, retryIf: (e: unknown) => retriable(e) && !final.includes(protocolType(e) ?? "") };
  return retryAsync(fn, policy);
}

/** A Kafka failure as a Beamline error: `retriable` when a later attempt (a resumed run) may succeed. */
export function kafkaFailure(e: unknown, where: string, what: string): IOError {
  if (e instanceof IOError) return e;
  const type = protocolType(e);
  return new IOError({
    code: "BL_KAFKA_SINK",
    domain: "external",
    retriable: retriable(e) || (e as { name?: string })?.name === "KafkaJSNumberOfRetriesExceeded",
    where,
    value: type ?? (e as Error)?.message ?? String(e),
    rule: `${what} failed: ${(e as Error)?.message ?? String(e)}`,
    fix: "check that the brokers are reachable and the topic exists; a run resumed from its last checkpoint writes what this one did not",
    cause: e,
  });
}

