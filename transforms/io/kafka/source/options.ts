/**
 * What `readKafka` takes, and the same checked and resolved into the settings the source reads
 * with: every option a user can get wrong fails at pipeline construction with an OptionError naming
 * the value, the rule and the fix.
 */
import type * as arrow from "apache-arrow";
import { OptionError } from "../../../../sdk/errors";
import type { RowSchema } from "../../../../sdk/schema";
import { durationMs } from "../../../../sdk/time";
import { parseBrokers, type KafkaConnectionOptions } from "../client/connection";

/** How record values become columns: JSON objects with a schema, UTF-8 text, or raw bytes. */
export type KafkaFormat = "json" | "string" | "bytes";

/** Where a partition is first read from (a checkpoint's positions always win on restore). */
export type KafkaStartOffset = "earliest" | "latest" | "committed" | { readonly timestamp: number | Date };

/** One record as an `eventTime` function sees it. */
export interface KafkaRecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (ms): create time, or log-append time if the topic says so. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The decoded value: an object for `json`, a string for `string`, the bytes for `bytes`. */
  readonly decoded: unknown;
}

/** The event time of a record: its Kafka timestamp, a field of the decoded value, or a function. */
export type KafkaEventTime = "createTime" | "logAppendTime" | { readonly field: string } | ((record: KafkaRecordView) => number);

/** Options of `readKafka`. */
export interface ReadKafkaOptions<T = unknown> extends KafkaConnectionOptions {
  /** Topic names, or a RegExp that topics are matched by (new matching topics are picked up while running). */
  readonly topics: string | readonly string[] | RegExp;
  /** How values decode. Default `string`. */
  readonly format?: KafkaFormat;
  /** The value's schema, required for `json`: its fields become the row's columns. */
  readonly schema?: RowSchema<T>;
  /** Where partitions start when no checkpoint says. Default `earliest`. `committed` needs `groupId` (earliest where the group has no offset). */
  readonly startOffset?: KafkaStartOffset;
  /** The rows' event time. Default `createTime` (the record's timestamp). A string other than the two names is a field of the json value. */
  readonly eventTime?: KafkaEventTime | string;
  /** A partition with no record for this long (`"10s"` or ms) stops holding the watermark back. Default: never. */
  readonly idleTimeout?: string | number;
  /** How far behind the largest event time seen a partition's watermark stays (`"5s"` or ms). Default 0. */
  readonly maxOutOfOrderness?: string | number;
  /** Undecodable records go to a `deadLetter` output instead of failing the run. Default false. */
  readonly deadLetter?: boolean;
  /** `end`: read up to the end offsets seen at start (the last stable offsets under read_committed), then finish. Default: run until cancelled. */
  readonly stopAt?: "end";
  /** A consumer group to commit offsets to when checkpoints complete (for `kafka-consumer-groups` lag), and to start from with `committed`. */
  readonly groupId?: string;
  /** Which records are visible: `read_committed` (default) hides aborted transactions and open ones. */
  readonly isolation?: "read_committed" | "read_uncommitted";
  /** The most bytes one fetch returns. Default 4 MiB. */
  readonly maxBytesPerFetch?: number;
  /** The most bytes one fetch returns of one partition. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** How long a fetch waits on the broker for records (ms). Default 500. */
  readonly maxWaitMs?: number;
  /** How often partitions and topics are looked for while running (`"10s"` or ms). Default 10 s. */
  readonly discoveryInterval?: string | number;
}

/** The columns every row has besides the value's. */
export const RECORD_COLUMNS = ["key", "topic", "partition", "offset", "timestamp", "headers"] as const;

/** The options, checked and with their defaults: what the source reads with. */
export interface KafkaReadSettings {
  readonly connection: KafkaConnectionOptions;
  readonly topics: readonly string[] | RegExp;
  readonly format: KafkaFormat;
  /** The value's fields (json). */
  readonly valueSchema: arrow.Schema | null;
  readonly startOffset: "earliest" | "latest" | "committed" | { readonly timestamp: number };
  readonly eventTime: "createTime" | "logAppendTime" | { readonly field: string } | ((record: KafkaRecordView) => number);
  readonly idleTimeoutMs: number | null;
  readonly maxOutOfOrdernessMs: number;
  readonly deadLetter: boolean;
  readonly bounded: boolean;
  readonly groupId: string | null;
  readonly readCommitted: boolean;
  readonly maxBytesPerFetch: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitMs: number;
  readonly discoveryIntervalMs: number;
  /** For messages: the transform. */
  readonly where: string;
}

function bad(where: string, option: string, value: unknown, rule: string, fix: string): OptionError {
  return new OptionError({ code: "BL_KAFKA_OPTION", where: `${where} option ${option}`, value, rule, fix });
}

function duration(where: string, option: string, v: string | number | undefined, fallback: number | null, min: number): number | null {
  if (v === undefined) return fallback;
  let ms: number;
  try {
    ms = durationMs(v);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < min) throw bad(where, option, v, `${option} must be a duration of at least ${min} ms`, `pass a number of ms or a string such as "10s"`);
  return ms;
}

function positiveInt(where: string, option: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw bad(where, option, v, `${option} must be a positive integer`, `pass ${option}: ${fallback} or another integer of 1 or more`);
  return v;
}

/** Checks `options` and resolves their defaults. */
export function readSettings(options: ReadKafkaOptions<unknown>, where: string): KafkaReadSettings {
  if (options === null || typeof options !== "object") throw bad(where, "", options, "readKafka takes an options object", 'pass { brokers: "127.0.0.1:9092", topics: ["clicks"] }');
  parseBrokers(options.brokers, where);
  const topics = options.topics instanceof RegExp ? options.topics : typeof options.topics === "string" ? [options.topics] : options.topics;
  if (!(topics instanceof RegExp) && (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== "string" || !/^[A-Za-z0-9._-]{1,249}$/.test(t)))) {
    throw bad(where, "topics", options.topics, "topics is a topic name, a non-empty list of names (letters, digits, '.', '_', '-'), or a RegExp", 'pass topics: ["clicks"] or topics: /^clicks-.*/');
  }
  const format = options.format ?? "string";
  if (format !== "json" && format !== "string" && format !== "bytes") throw bad(where, "format", format, 'format is "json", "string" or "bytes"', 'pass format: "json" with a schema, or "string"');
  const valueSchema = options.schema?.arrow ?? null;
  if (format === "json" && !valueSchema) throw bad(where, "schema", undefined, "format json needs the value's schema", "pass schema: schema({ page: t.string(), ms: t.int64() })");
  if (format !== "json" && valueSchema) throw bad(where, "schema", valueSchema.fields.map((f) => f.name), `a schema describes json values, and format is "${format}"`, 'pass format: "json", or drop the schema');
  for (const f of valueSchema?.fields ?? []) {
    if ((RECORD_COLUMNS as readonly string[]).includes(f.name)) throw bad(where, "schema", f.name, `the field "${f.name}" has the name of a record column (${RECORD_COLUMNS.join(", ")})`, "rename the field in the schema (and in the JSON)");
  }
  const start = options.startOffset ?? "earliest";
  let startOffset: KafkaReadSettings["startOffset"];
  if (start === "earliest" || start === "latest" || start === "committed") startOffset = start;
  else if (start && typeof start === "object" && (start.timestamp instanceof Date || typeof start.timestamp === "number") && Number.isFinite(+start.timestamp)) startOffset = { timestamp: +start.timestamp };
  else throw bad(where, "startOffset", start, 'startOffset is "earliest", "latest", "committed" or { timestamp }', 'pass startOffset: "earliest" or { timestamp: Date.parse("2026-01-01") }');
  const groupId = options.groupId ?? null;
  if (groupId !== null && (typeof groupId !== "string" || groupId === "")) throw bad(where, "groupId", groupId, "groupId is a non-empty string", 'pass groupId: "my-pipeline"');
  if (startOffset === "committed" && groupId === null) throw bad(where, "startOffset", "committed", "starting from committed offsets needs the group they were committed by", 'pass groupId: "my-pipeline" too');
  const et = options.eventTime ?? "createTime";
  let eventTime: KafkaReadSettings["eventTime"];
  if (et === "createTime" || et === "logAppendTime" || typeof et === "function") eventTime = et;
  else {
    const field = typeof et === "string" ? et : et && typeof et === "object" ? et.field : undefined;
    const known = valueSchema?.fields.find((f) => f.name === field);
    if (!known) throw bad(where, "eventTime", et, 'eventTime is "createTime", "logAppendTime", a function, or a field of the json schema', format === "json" ? `pass one of the schema's fields: ${valueSchema!.fields.map((f) => f.name).join(", ")}` : 'use format "json" with a schema to take event time from a field');
    eventTime = { field: known.name };
  }
  const isolation = options.isolation ?? "read_committed";
  if (isolation !== "read_committed" && isolation !== "read_uncommitted") throw bad(where, "isolation", isolation, 'isolation is "read_committed" or "read_uncommitted"', 'pass isolation: "read_committed"');
  const stopAt = options.stopAt;
  if (stopAt !== undefined && stopAt !== "end") throw bad(where, "stopAt", stopAt, 'stopAt is "end" (the end offsets seen at start) or absent (read until cancelled)', 'pass stopAt: "end"');
  if (options.deadLetter !== undefined && typeof options.deadLetter !== "boolean") throw bad(where, "deadLetter", options.deadLetter, "deadLetter is true or false", "pass deadLetter: true");
  return {
    connection: options,
    topics,
    format,
    valueSchema,
    startOffset,
    eventTime,
    idleTimeoutMs: duration(where, "idleTimeout", options.idleTimeout, null, 1),
    maxOutOfOrdernessMs: duration(where, "maxOutOfOrderness", options.maxOutOfOrderness, 0, 0)!,
    deadLetter: options.deadLetter ?? false,
    bounded: stopAt === "end",
    groupId,
    readCommitted: isolation === "read_committed",
    maxBytesPerFetch: positiveInt(where, "maxBytesPerFetch", options.maxBytesPerFetch, 4 << 20),
    maxBytesPerPartition: positiveInt(where, "maxBytesPerPartition", options.maxBytesPerPartition, 1 << 20),
    maxWaitMs: positiveInt(where, "maxWaitMs", options.maxWaitMs, 500),
    discoveryIntervalMs: duration(where, "discoveryInterval", options.discoveryInterval, 10_000, 10)!,
    where,
  };
}
