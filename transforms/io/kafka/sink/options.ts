/** The options of `writeKafka`, checked when the pipeline is built: each mistake names the option, its rule and the fix. */
import { OptionError } from "../../../../sdk/errors";
import { parseBrokers, type KafkaConnectionOptions } from "../client/connection";

/** How strongly `writeKafka` guarantees delivery. */
export type KafkaSinkSemantics = "exactly-once" | "at-least-once";

/** Options of `writeKafka`. */
export interface WriteKafkaOptions extends KafkaConnectionOptions {
  /** The topic written (it must exist). */
  readonly topic: string;
  /** The field whose value is each record's key (a string or bytes field); no key when unset. */
  readonly key?: string;
  /**
   * The record value: a field (strings and bytes as they are, other values as JSON), or `"json"`: the
   * whole row as JSON. Default: the `value` field or the bare value when rows are strings or bytes,
   * else the row as JSON.
   */
  readonly value?: string;
  /**
   * Record headers: a field holding them (an object or map of name → string or bytes, or a list of
   * `{key, value}`), or an object naming, for each header, the field that holds its value.
   */
  readonly headers?: string | { readonly [header: string]: string };
  /** The record timestamp: a field (a timestamp or epoch milliseconds), or `"eventTime"` (the default): the element's timestamp. */
  readonly timestamp?: string;
  /** `exactly-once` (Kafka transactions committed with checkpoints) or `at-least-once` (an idempotent producer). */
  readonly semantics: KafkaSinkSemantics;
  /** The prefix of the transactional ids, `<prefix>-<shard>-<n>`; default `beamline-<topic>`. Stable across restarts, unique per sink. */
  readonly transactionalIdPrefix?: string;
  /** How many writers (producers); 1 by default. */
  readonly shards?: number;
  /**
   * How long the broker keeps a transaction open (ms) before aborting it: longer than a checkpoint
   * interval plus the time to resume after a crash. Default 900000 (15 min, the broker's default maximum).
   */
  readonly transactionTimeoutMs?: number;
  /**
   * How long (ms) records wait to be sent while the writer's buffer is not half full (about half a
   * megabyte), as the Kafka producer's `linger.ms`: once the oldest buffered record waited this long,
   * the buffer is sent (after the send in flight, if one is). Default 5 (the producer's default since
   * Kafka 4.0); 0 sends after each write. At-least-once only: it bounds how long a record waits before
   * it is readable. Exactly-once records are read once their checkpoint commits, and are sent at the barrier.
   */
  readonly lingerMs?: number;
  /**
   * Route rows the sink cannot write (a record larger than the topic's `max.message.bytes`, a key that
   * is not a string or bytes, a bad timestamp or headers field) to a `deadLetter` output instead of
   * failing the run; `writeKafka` then returns `{ written, deadLetter }`.
   */
  readonly deadLetter?: boolean;
}

/** The default transaction timeout: the broker's default `transaction.max.timeout.ms`. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;

/** The default `lingerMs`: the Kafka producer's default `linger.ms` since Kafka 4.0 (KIP-1030). */
export const DEFAULT_LINGER_MS = 5;

/** Kafka's rule for topic names (and the one this sink applies to transactional id prefixes). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const KNOWN = new Set(["brokers", "clientId", "ssl", "sasl", "connectionTimeoutMs", "requestTimeoutMs", "topic", "key", "value", "headers", "timestamp", "semantics", "transactionalIdPrefix", "shards", "transactionTimeoutMs", "lingerMs", "deadLetter"]);

/** The checked options, with defaults filled in. */
export interface KafkaSinkSettings {
  readonly connection: KafkaConnectionOptions;
  readonly topic: string;
  readonly key?: string;
  readonly value?: string;
  readonly headers?: string | { readonly [header: string]: string };
  readonly timestamp: string;
  readonly semantics: KafkaSinkSemantics;
  readonly transactionalIdPrefix: string;
  readonly shards: number;
  readonly transactionTimeoutMs: number;
  readonly lingerMs: number;
  readonly deadLetter: boolean;
}

/** Checks `writeKafka`'s options; throws an OptionError naming the option, its rule and the fix. */
export function checkWriteKafkaOptions(options: WriteKafkaOptions): KafkaSinkSettings {
  const bad = (option: string, value: unknown, rule: string, fix: string) => new OptionError({ code: "BL_KAFKA_SINK_OPTION", where: `writeKafka option ${option}`, value, rule, fix });
  if (options === null || typeof options !== "object") throw bad("(options)", options, "writeKafka takes an options object", 'pass { brokers, topic, semantics: "exactly-once" }');
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw bad(name, (options as unknown as Record<string, unknown>)[name], `writeKafka has no option ${name}`, `use one of ${[...KNOWN].join(", ")}`);
  }
  parseBrokers(options.brokers, "writeKafka option brokers");
  if (typeof options.topic !== "string" || !TOPIC_NAME.test(options.topic)) {
    throw bad("topic", options.topic, "a topic name is 1 to 249 letters, digits, '.', '_' or '-'", 'pass the name of an existing topic, such as "counts"');
  }
  if (options.semantics !== "exactly-once" && options.semantics !== "at-least-once") {
    throw bad("semantics", options.semantics, 'semantics is "exactly-once" or "at-least-once"', 'pass semantics: "exactly-once" (transactions committed with checkpoints) or "at-least-once" (an idempotent producer)');
  }
  for (const name of ["key", "value", "timestamp"] as const) {
    const v = options[name];
    if (v !== undefined && (typeof v !== "string" || v === "")) throw bad(name, v, `${name} names a field of the rows`, `pass the field's name, or leave ${name} unset`);
  }
  const headers = options.headers;
  if (headers !== undefined) {
    const ok = (typeof headers === "string" && headers !== "") ||
      (headers !== null && typeof headers === "object" && !Array.isArray(headers) && Object.values(headers).every((f) => typeof f === "string" && f !== ""));
    if (!ok) throw bad("headers", headers, "headers names a field holding the headers, or maps each header name to a field", 'pass headers: "headers", or headers: { source: "origin" }');
  }
  const prefix = options.transactionalIdPrefix ?? `beamline-${options.topic}`;
  if (typeof prefix !== "string" || !TOPIC_NAME.test(prefix) || prefix.length > 200) {
    throw bad("transactionalIdPrefix", prefix, "a transactional id prefix is 1 to 200 letters, digits, '.', '_' or '-'", 'pass a name unique to this sink and stable across restarts, such as "clicks-to-counts"');
  }
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) {
    throw bad("shards", shards, "shards is a whole number from 1 to 1024", "pass shards: 1 (one producer) or more");
  }
  const timeout = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout < 1000 || timeout > 3_600_000) {
    throw bad("transactionTimeoutMs", timeout, "the transaction timeout is a whole number of milliseconds from 1000 to 3600000, and at most the broker's transaction.max.timeout.ms (15 min by default)", "pass transactionTimeoutMs: 900000, or leave it unset");
  }
  const linger = options.lingerMs ?? DEFAULT_LINGER_MS;
  if (typeof linger !== "number" || !Number.isInteger(linger) || linger < 0 || linger > 60_000) {
    throw bad("lingerMs", linger, "lingerMs is a whole number of milliseconds from 0 to 60000", `pass lingerMs: ${DEFAULT_LINGER_MS} (the default), or 0 to send after each write`);
  }
  if (options.deadLetter !== undefined && typeof options.deadLetter !== "boolean") {
    throw bad("deadLetter", options.deadLetter, "deadLetter is true or false", "pass deadLetter: true to route rows the sink cannot write to a dead-letter output");
  }
  const { brokers, clientId, ssl, sasl, connectionTimeoutMs, requestTimeoutMs } = options;
  return {
    connection: { brokers, clientId, ssl, sasl, connectionTimeoutMs, requestTimeoutMs },
    topic: options.topic,
    key: options.key,
    value: options.value,
    headers,
    timestamp: options.timestamp ?? "eventTime",
    semantics: options.semantics,
    transactionalIdPrefix: prefix,
    shards,
    transactionTimeoutMs: timeout,
    lingerMs: linger,
    deadLetter: options.deadLetter ?? false,
  };
}
