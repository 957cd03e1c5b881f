/**
 * Rows as Kafka records: key, value, headers and timestamp taken from the row's fields as the sink's
 * options say, and the partition Kafka's default partitioner gives the key. Strings and bytes go out as
 * the column's own bytes (no decoding); a row the sink cannot write fails the run naming it, or, with
 * a dead-letter output, goes there and is left out of the records.
 */
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../../sdk/batch";
import type { DeadLetter } from "../../../../sdk/dead-letter";
import { dataReader } from "../../../../sdk/columns";
import { IOError, SchemaError } from "../../../../sdk/errors";
import { isScalarSchema } from "../../../../sdk/schema";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../../../sdk/time";
import { toJson } from "../../to-json";
import { rowJson } from "../../json-rows";
import { rowDeadLetter, type RejectedRows } from "../../rejected-rows";
import type { KafkaSinkSettings } from "./options";
import { partitionForKey } from "./partitioner";

/** One record to send, its partition chosen. */
export interface KafkaRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly partition: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly headers?: { [name: string]: Buffer };
}

/** What the sink knows of its topic: its partitions and the largest record batch it accepts. */
export interface TopicLayout {
  readonly topic: string;
  readonly partitions: number;
  /** The topic's `max.message.bytes`. */
  readonly maxMessageBytes: number;
}

/** The bytes a record batch adds around its records (Kafka's v2 batch header). */
export const BATCH_OVERHEAD = 61;
/** The most a record adds to its key, value and headers (length varints, attributes, deltas). */
const RECORD_OVERHEAD = 21;

type BytesReader = (i: number) => Buffer | null;

/** The bytes of row `i` of a string or binary column, sharing the column's memory; undefined for other types. */
function bytesReader(data: arrow.Data): BytesReader | undefined {
  const id = data.type.typeId;
  if (id !== arrow.Type.Utf8 && id !== arrow.Type.Binary) return undefined;
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  const buf = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const nulls = data.nullCount > 0;
  return (i) => (nulls && !data.getValid(i) ? null : buf.subarray(offsets[i], offsets[i + 1]));
}

/** Row `i` of any column as bytes: strings and bytes as they are, other values as JSON. */
function valueReader(data: arrow.Data): BytesReader {
  const raw = bytesReader(data);
  if (raw) return raw;
  const read = dataReader(data);
  return (i) => {
    const v = read(i);
    return v === null || v === undefined ? null : Buffer.from(toJson(v));
  };
}

/** Thrown by `reject` when rows go to a dead-letter output: `encode` catches it and routes the row. */
class RejectedRow {
  constructor(readonly error: IOError) {}
}

/** Turns batches into records for one topic, as the sink's settings say. */
export class RecordEncoder {
  private nullKeyPartition: number;

  /** With `rejected`, rows that cannot be written go there (at once, from `encode`) instead of failing the run. */
  constructor(private readonly settings: KafkaSinkSettings, private readonly layout: TopicLayout, private readonly where: string, shard = 0,
    private readonly rejected?: RejectedRows) {
    this.nullKeyPartition = shard % layout.partitions;
  }

  /** The records of `batch`, in row order, without the rows sent to the dead-letter output. */
  encode(batch: ElementBatch): KafkaRecord[] {
    if (!this.rejected) return this.encodeRows(batch);
    const letters: DeadLetter[] = [];
    const records = this.encodeRows(batch, (i, e) => letters.push(this.deadLetter(batch, i, e)));
    // Emitted now, while the batch is written: before the barrier that covers its rows.
    this.rejected.emit(letters);
    return records;
  }

  private deadLetter(batch: ElementBatch, row: number, error: IOError): DeadLetter {
    return rowDeadLetter(this.rejected!, batch, { row, error }, { topic: this.layout.topic });
  }

  private encodeRows(batch: ElementBatch, routed?: (row: number, error: IOError) => void): KafkaRecord[] {
    const data = batch.data;
    const n = data.numRows;
    const key = this.keys(data);
    const value = this.values(data);
    const headers = this.headers(data);
    const timestamp = this.timestamps(batch);
    const { partitions, maxMessageBytes } = this.layout;
    // Records without a key stick to one partition per batch, the next batch to the next partition.
    const nullPartition = this.nullKeyPartition;
    this.nullKeyPartition = (nullPartition + 1) % partitions;
    const out: KafkaRecord[] = [];
    for (let i = 0; i < n; i++) {
      try {
        const k = key ? key(i) : null;
        const v = value(i);
        const h = headers ? headers(i) : undefined;
        let size = RECORD_OVERHEAD + BATCH_OVERHEAD + (k ? k.length : 0) + (v ? v.length : 0);
        if (h) for (const name in h) size += Buffer.byteLength(name) + h[name].length + 10;
        if (size > maxMessageBytes) {
          this.reject(i, n, `a record of ${size} bytes is larger than topic ${this.layout.topic}'s max.message.bytes (${maxMessageBytes})`, k ? k.toString("utf8", 0, 64) : null,
            `raise the topic's max.message.bytes (kafka-configs --alter --add-config max.message.bytes=…) or make the record smaller`);
        }
        out.push({ key: k, value: v, partition: k ? partitionForKey(k, partitions) : nullPartition, timestamp: timestamp(i), headers: h });
      } catch (e) {
        if (!(e instanceof RejectedRow) || !routed) throw e;
        routed(i, e.error);
      }
    }
    return out;
  }

  /**
   * The one place rows the sink cannot write go: the run fails naming the row, or, with a dead-letter
   * output, `encode` routes the row there and leaves it out of the records.
   */
  private reject(row: number, rows: number, rule: string, value: unknown, fix: string): never {
    const error = new IOError({ code: "BL_KAFKA_UNWRITABLE_ROW", domain: "user", where: `${this.where}, row ${row} of a batch of ${rows}`, value, rule, fix });
    throw this.rejected ? new RejectedRow(error) : error;
  }

  private field(data: arrow.RecordBatch, name: string, option: string): arrow.Data {
    const index = data.schema.fields.findIndex((f) => f.name === name);
    if (index < 0) {
      throw new SchemaError({
        code: "BL_KAFKA_NO_FIELD", where: this.where, value: name,
        rule: `option ${option} names a field the rows do not have (they have ${data.schema.fields.map((f) => f.name).join(", ") || "no fields"})`,
        fix: `name one of the rows' fields in ${option}, or add the field with a map before writeKafka`,
      });
    }
    return data.data.children[index];
  }

  private keys(data: arrow.RecordBatch): BytesReader | undefined {
    const name = this.settings.key;
    if (name === undefined) return undefined;
    const column = this.field(data, name, "key");
    const read = bytesReader(column);
    if (!read && this.rejected) {
      // Every row's key is of the wrong type: each row goes to the dead-letter output.
      const rule = `a record key is a string or bytes field, so that Java clients partition and read it the same way (${name} is ${column.type})`;
      const value = dataReader(column);
      return (i) => this.reject(i, data.numRows, rule, value(i), `convert ${name} to a string (or bytes) with a map before writeKafka`);
    }
    if (!read) {
      throw new SchemaError({
        code: "BL_KAFKA_KEY_TYPE", where: this.where, value: `${name}: ${column.type}`,
        rule: "a record key is a string or bytes field, so that Java clients partition and read it the same way",
        fix: `convert ${name} to a string (or bytes) with a map before writeKafka`,
      });
    }
    return read;
  }

  private values(data: arrow.RecordBatch): BytesReader {
    const option = this.settings.value;
    const schema = data.schema;
    if (option !== undefined && option !== "json") return valueReader(this.field(data, option, "value"));
    if (option === undefined) {
      const scalar = isScalarSchema(schema) ? data.data.children[0] : undefined;
      const raw = scalar ? bytesReader(scalar) : undefined;
      if (raw) return raw;
      const index = schema.fields.findIndex((f) => f.name === "value");
      const column = index >= 0 ? bytesReader(data.data.children[index]) : undefined;
      if (column) return column;
    }
    const json = rowJson(data);
    return (i) => Buffer.from(json(i));
  }

  private headers(data: arrow.RecordBatch): ((i: number) => { [name: string]: Buffer } | undefined) | undefined {
    const option = this.settings.headers;
    if (option === undefined) return undefined;
    if (typeof option === "object") {
      const readers = Object.entries(option).map(([header, field]) => [header, valueReader(this.field(data, field, `headers.${header}`))] as const);
      return (i) => {
        const h: { [name: string]: Buffer } = {};
        for (const [header, read] of readers) {
          const v = read(i);
          if (v !== null) h[header] = v;
        }
        return h;
      };
    }
    const read = dataReader(this.field(data, option, "headers"));
    return (i) => headerObject(read(i), (rule) => {
      this.reject(i, data.numRows, rule, read(i), `make field ${option} an object of header name → string or bytes`);
    });
  }

  private timestamps(batch: ElementBatch): (i: number) => number {
    const option = this.settings.timestamp;
    if (option === "eventTime") {
      const ts = batch.timestamps;
      // Elements without a real time (bounded sources' minimum, the global window's end) get the time of writing.
      const now = Date.now();
      return (i) => (ts[i] >= 0 && ts[i] < GLOBAL_WINDOW_MAX_TIMESTAMP ? Math.floor(ts[i]) : now);
    }
    const read = dataReader(this.field(batch.data, option, "timestamp"));
    return (i) => {
      const v = read(i);
      const ms = v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : v;
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
        this.reject(i, batch.data.numRows, `field ${option} gives a record timestamp: a timestamp or epoch milliseconds from 0`, v, `fill ${option} for every row, or write with timestamp: "eventTime"`);
      }
      return Math.floor(ms);
    };
  }
}

/** A headers value of a row as kafkajs takes it: an object or Map of name → string or bytes, or a list of {key, value}. */
function headerObject(v: unknown, bad: (rule: string) => never): { [name: string]: Buffer } | undefined {
  if (v === null || v === undefined) return undefined;
  const out: { [name: string]: Buffer } = {};
  const put = (name: unknown, value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof name !== "string") bad("a header name is a string");
    if (typeof value === "string") out[name] = Buffer.from(value);
    else if (value instanceof Uint8Array) out[name] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    else bad(`header ${name}'s value is a string or bytes`);
  };
  if (v instanceof Map) for (const [k, x] of v) put(k, x);
  else if (Array.isArray(v)) for (const e of v) put((e as { key?: unknown })?.key, (e as { value?: unknown })?.value);
  else if (typeof v === "object") for (const [k, x] of Object.entries(v)) put(k, x);
  else bad("headers are an object or map of name → string or bytes, or a list of {key, value}");
  return out;
}
