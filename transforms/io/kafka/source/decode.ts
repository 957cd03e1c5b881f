/**
 * Records of one fetch become one Arrow batch. The `string` and `bytes` formats copy each key and
 * value once, from kafkajs's buffers straight into the column's data with no object of ours per
 * record; the record columns (topic, partition, offset, timestamp, headers) are filled the same way.
 * `json` parses each value (a JSON object per record is what parsing gives) and writes the schema's
 * fields; a value that is not JSON, or does not fit the schema, is a dead letter. kafkajs itself
 * makes an object per record when it decodes a fetch response; that is below this file.
 */
import * as arrow from "apache-arrow";
import { makeRecordBatch, vectorFromValues } from "../../../../sdk/columns";
import { BeamlineError, IOError, SchemaError } from "../../../../sdk/errors";
import { rowsToRecordBatch } from "../../../../sdk/rows";
import type { BadKafkaRecord } from "./dead-letter";
import type { FetchedRecord } from "./fetcher";
import type { KafkaFormat, KafkaReadSettings } from "./options";

/** Kafka's timestamp type of log-append time in a record batch's attributes. */
const LOG_APPEND_TIME = 1;

/** The row schema of a read: key, value (or the json schema's fields), topic, partition, offset, timestamp, headers. */
export function kafkaRowSchema(format: KafkaFormat, valueSchema: arrow.Schema | null): arrow.Schema {
  const text = format === "bytes" ? new arrow.Binary() : new arrow.Utf8();
  const value = format === "json" ? valueSchema!.fields : [new arrow.Field("value", text, true)];
  const header = new arrow.Struct([new arrow.Field("key", new arrow.Utf8(), true), new arrow.Field("value", new arrow.Binary(), true)]);
  return new arrow.Schema([
    new arrow.Field("key", text, true),
    ...value,
    new arrow.Field("topic", new arrow.Utf8(), true),
    new arrow.Field("partition", new arrow.Int32(), true),
    new arrow.Field("offset", new arrow.Int64(), true),
    new arrow.Field("timestamp", new arrow.TimestampMillisecond(), true),
    new arrow.Field("headers", new arrow.List(new arrow.Field("item", header, true)), true),
  ]);
}

/** One fetch's records as a batch, their event times, and the records that could not be decoded. */
export interface DecodedRecords {
  readonly data: arrow.RecordBatch;
  readonly timestamps: Float64Array;
  readonly deadLetters: BadKafkaRecord[];
  /** The largest event time among the rows (-Infinity when none). */
  readonly maxEventTime: number;
}

/** Decodes `records` of `topic`/`partition` into rows of `rowSchema`. */
export function decodeRecords(records: readonly FetchedRecord[], topic: string, partition: number, rowSchema: arrow.Schema, s: KafkaReadSettings): DecodedRecords {
  const deadLetters: BadKafkaRecord[] = [];
  let rows: number[] | null = null; // which records became rows, when some did not
  let valueColumns: arrow.Data[];
  let parsed: unknown[] | null = null;
  if (s.format === "json") {
    const r = decodeJson(records, topic, partition, s, deadLetters);
    rows = r.rows;
    parsed = r.values;
    valueColumns = r.columns;
  } else {
    valueColumns = [bytesData(records, null, (m) => m.value, s.format === "bytes")];
  }
  const n = rows ? rows.length : records.length;
  const at = rows ? (i: number) => records[rows![i]] : (i: number) => records[i];
  const offsets = new BigInt64Array(n);
  const times = new BigInt64Array(n);
  const partitions = new Int32Array(n).fill(partition);
  for (let i = 0; i < n; i++) {
    const m = at(i);
    offsets[i] = BigInt(m.offset);
    times[i] = BigInt(m.timestamp);
  }
  const children = [
    bytesData(records, rows, (m) => m.key, s.format === "bytes"),
    ...valueColumns,
    repeatedUtf8(topic, n),
    arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: partitions }),
    arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: 0, data: offsets }),
    arrow.makeData({ type: new arrow.TimestampMillisecond(), length: n, nullCount: 0, data: times }),
    headersData(records, rows, rowSchema.fields[rowSchema.fields.length - 1].type as arrow.List),
  ];
  const data = makeRecordBatch(rowSchema, children, n);
  const timestamps = eventTimes(n, at, times, data, parsed, topic, partition, s);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (timestamps[i] > max) max = timestamps[i];
  return { data, timestamps, deadLetters, maxEventTime: max };
}

/** A utf8 or binary column of the records' keys or values, copied from kafkajs's buffers. */
function bytesData(records: readonly FetchedRecord[], rows: number[] | null, pick: (m: FetchedRecord) => Buffer | null, binary: boolean): arrow.Data {
  const n = rows ? rows.length : records.length;
  let total = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const b = pick(records[rows ? rows[i] : i]);
    if (b === null) nulls++;
    else total += b.length;
  }
  const bytes = new Uint8Array(total);
  const offsets = new Int32Array(n + 1);
  const valid = nulls > 0 ? new Uint8Array((n + 7) >> 3) : undefined;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const b = pick(records[rows ? rows[i] : i]);
    if (b !== null) {
      bytes.set(b, at);
      at += b.length;
      if (valid) valid[i >> 3] |= 1 << (i & 7);
    }
    offsets[i + 1] = at;
  }
  return arrow.makeData({ type: binary ? new arrow.Binary() : new arrow.Utf8(), length: n, nullCount: nulls, nullBitmap: valid, valueOffsets: offsets, data: bytes } as never);
}

/** A utf8 column of `n` copies of `text`. */
function repeatedUtf8(text: string, n: number): arrow.Data {
  const one = Buffer.from(text, "utf8");
  const bytes = new Uint8Array(one.length * n);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    bytes.set(one, i * one.length);
    offsets[i + 1] = (i + 1) * one.length;
  }
  return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes });
}

/** The headers column: empty lists (no per-record work beyond a check) unless some record has headers. */
function headersData(records: readonly FetchedRecord[], rows: number[] | null, type: arrow.List): arrow.Data {
  const n = rows ? rows.length : records.length;
  let any = false;
  for (let i = 0; i < n && !any; i++) for (const _ in records[rows ? rows[i] : i].headers) any = true;
  if (any) {
    const lists = [];
    for (let i = 0; i < n; i++) {
      const list: { key: string; value: Uint8Array | null }[] = [];
      for (const [key, v] of Object.entries(records[rows ? rows[i] : i].headers)) for (const value of Array.isArray(v) ? v : [v ?? null]) list.push({ key, value });
      lists.push(list);
    }
    return vectorFromValues(lists, type, "Kafka headers").data[0] as arrow.Data;
  }
  const child = arrow.makeData({ type: type.children[0].type as arrow.Struct, length: 0, nullCount: 0, children: (type.children[0].type as arrow.Struct).children.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 } as never)) });
  return arrow.makeData({ type, length: n, nullCount: 0, valueOffsets: new Int32Array(n + 1), child });
}

/** Parses json values and writes the schema's fields; the records that fail become dead letters (or fail the read). */
function decodeJson(records: readonly FetchedRecord[], topic: string, partition: number, s: KafkaReadSettings, deadLetters: BadKafkaRecord[]): { rows: number[] | null; values: unknown[]; columns: arrow.Data[] } {
  const valueSchema = s.valueSchema!;
  const values: unknown[] = [];
  let index: number[] = [];
  const reject = (i: number, error: string) => {
    const m = records[i];
    if (!s.deadLetter) {
      throw new IOError({
        code: "BL_KAFKA_UNDECODABLE",
        where: `${s.where} record ${topic}/${partition}@${m.offset}`,
        value: m.value === null ? null : m.value.toString("utf8"),
        rule: error,
        fix: "fix the producer, or pass deadLetter: true to route undecodable records to the deadLetter output",
      });
    }
    deadLetters.push({ topic, partition, offset: Number(m.offset), raw: m.value, error });
  };
  for (let i = 0; i < records.length; i++) {
    const raw = records[i].value;
    let v: unknown;
    try {
      if (raw === null) throw new Error("the record has no value (a tombstone)");
      v = JSON.parse(raw.toString("utf8"));
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("the value is JSON but not an object");
    } catch (e) {
      reject(i, `the value is not a JSON object (${(e as Error).message})`);
      continue;
    }
    values.push(v);
    index.push(i);
  }
  let batch: arrow.RecordBatch;
  try {
    batch = rowsToRecordBatch(values, valueSchema, s.where);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    // Find the values that do not fit, one by one.
    const good: unknown[] = [];
    const kept: number[] = [];
    for (let r = 0; r < values.length; r++) {
      try {
        rowsToRecordBatch([values[r]], valueSchema, s.where);
        good.push(values[r]);
        kept.push(index[r]);
      } catch (err) {
        if (!(err instanceof BeamlineError)) throw err;
        reject(index[r], `the value does not fit the schema: ${err.rule}`);
      }
    }
    values.length = 0;
    values.push(...good);
    index = kept;
    batch = rowsToRecordBatch(good, valueSchema, s.where);
  }
  return { rows: index.length === records.length ? null : index, values, columns: batch.data.children as arrow.Data[] };
}

/** The rows' event times: the record timestamps, a field of the value, or the user's function. */
function eventTimes(n: number, at: (i: number) => FetchedRecord, times: BigInt64Array, data: arrow.RecordBatch, parsed: unknown[] | null, topic: string, partition: number, s: KafkaReadSettings): Float64Array {
  const out = new Float64Array(n);
  const et = s.eventTime;
  if (et === "createTime" || et === "logAppendTime") {
    if (et === "logAppendTime" && n > 0 && at(0).batchContext.timestampType !== LOG_APPEND_TIME) {
      throw new IOError({ code: "BL_KAFKA_TIMESTAMP_TYPE", where: `${s.where} topic ${topic}`, value: "logAppendTime", rule: "the topic's records carry their create time (message.timestamp.type=CreateTime), not a log-append time", fix: 'use eventTime: "createTime", or set the topic\'s message.timestamp.type to LogAppendTime' });
    }
    for (let i = 0; i < n; i++) out[i] = Number(times[i]);
    return out;
  }
  if (typeof et === "function") {
    for (let i = 0; i < n; i++) {
      const m = at(i);
      const decoded = parsed ? parsed[i] : s.format === "string" ? (m.value?.toString("utf8") ?? null) : m.value;
      const t = et({ topic, partition, offset: Number(m.offset), timestamp: Number(times[i]), key: m.key, value: m.value, decoded });
      if (typeof t !== "number" || !Number.isFinite(t)) {
        throw new IOError({ code: "BL_KAFKA_EVENT_TIME", where: `${s.where} record ${topic}/${partition}@${m.offset}`, value: t, rule: "eventTime must return a finite number of ms", fix: "return a number such as Date.parse(row.time)" });
      }
      out[i] = t;
    }
    return out;
  }
  const column = data.getChild(et.field)!;
  for (let i = 0; i < n; i++) {
    const v = column.get(i) as number | bigint | null;
    if (v === null || v === undefined) {
      throw new IOError({ code: "BL_KAFKA_EVENT_TIME", where: `${s.where} record ${topic}/${partition}@${at(i).offset}`, value: v, rule: `the event-time field "${et.field}" is missing`, fix: "give every record the field, or take event time from the record's timestamp" });
    }
    out[i] = Number(v);
  }
  return out;
}
