/**
 * A fetch's records become one Arrow batch: keys and values copied from the fetched buffers into
 * utf8 or binary columns, the record columns beside them, json values decoded with a schema (the
 * undecodable ones to dead letters, or a clear failure), and event times from the record timestamp,
 * a field or a function.
 */
import { IOError, recordBatchToRows, rowsToRecordBatch, schema, t, type ReadKafkaOptions } from "beamline";
import { decodeRecords, kafkaRowSchema } from "../../../../transforms/io/kafka/source/decode";
import type { FetchedRecord } from "../../../../transforms/io/kafka/source/fetcher";
import { readSettings } from "../../../../transforms/io/kafka/source/options";
import { PartitionWatermark } from "../../../../transforms/io/kafka/source/watermarks";

/** A record as kafkajs's fetch decoding gives it. */
function record(offset: number, key: string | null, value: string | null, timestamp = 1000 + offset, headers: FetchedRecord["headers"] = {}): FetchedRecord {
  return { offset: String(offset), timestamp: String(timestamp), key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers, batchContext: { timestampType: 0 } };
}

function decode(records: FetchedRecord[], options: Partial<ReadKafkaOptions<any>>) {
  const s = readSettings({ brokers: "127.0.0.1:9092", topics: ["t"], ...options }, "test");
  return decodeRecords(records, "t", 3, kafkaRowSchema(s.format, s.valueSchema), s);
}

const Click = schema({ page: t.string(), ms: t.int64() });

describe("decoding fetched records", () => {
  test("string format: keys and values as text, nulls kept, record columns and headers", () => {
    const d = decode([record(7, "a", "one"), record(8, null, null), record(9, "c", "three", 5000, { trace: Buffer.from("x"), two: [Buffer.from("1"), Buffer.from("2")] })], {});
    expect(recordBatchToRows(d.data)).toEqual([
      { key: "a", value: "one", topic: "t", partition: 3, offset: 7, timestamp: 1007, headers: [] },
      { key: null, value: null, topic: "t", partition: 3, offset: 8, timestamp: 1008, headers: [] },
      { key: "c", value: "three", topic: "t", partition: 3, offset: 9, timestamp: 5000, headers: [{ key: "trace", value: new Uint8Array(Buffer.from("x")) }, { key: "two", value: new Uint8Array(Buffer.from("1")) }, { key: "two", value: new Uint8Array(Buffer.from("2")) }] },
    ]);
    expect([...d.timestamps]).toEqual([1007, 1008, 5000]);
    expect(d.maxEventTime).toBe(5000);
    expect(d.deadLetters).toEqual([]);
  });

  test("bytes format: keys and values as the raw bytes", () => {
    const d = decode([record(0, "k", "\u00ff\u0000")], { format: "bytes" });
    const [row] = recordBatchToRows(d.data) as { key: Uint8Array; value: Uint8Array }[];
    expect(Buffer.from(row.key)).toEqual(Buffer.from("k"));
    expect(Buffer.from(row.value)).toEqual(Buffer.from("\u00ff\u0000"));
  });

  test("json: the schema's fields as columns; values that are not JSON objects or do not fit go to dead letters", () => {
    const d = decode([record(0, "a", '{"page":"x","ms":5}'), record(1, "b", "{oops"), record(2, null, null), record(3, "d", '{"page":1,"ms":"no"}'), record(4, "e", '{"page":"y","ms":6}')], { format: "json", schema: Click, deadLetter: true, eventTime: "ms" });
    expect(recordBatchToRows(d.data).map((r: any) => [r.key, r.page, r.ms, r.offset])).toEqual([["a", "x", 5, 0], ["e", "y", 6, 4]]);
    expect([...d.timestamps]).toEqual([5, 6]);
    expect(d.deadLetters.map((l) => [l.topic, l.partition, l.offset, l.raw && Buffer.from(l.raw).toString()])).toEqual([
      ["t", 3, 1, "{oops"],
      ["t", 3, 2, null],
      ["t", 3, 3, '{"page":1,"ms":"no"}'],
    ]);
  });

  test("json without dead letters: the first undecodable record fails the read, naming topic, partition and offset", () => {
    expect(() => decode([record(0, "a", '{"page":"x","ms":5}'), record(1, "b", "[1]")], { format: "json", schema: Click })).toThrow(
      expect.objectContaining({ code: "BL_KAFKA_UNDECODABLE", where: "test record t/3@1", value: "[1]" }),
    );
  });

  test("event time from a function of the record; a result that is not a number fails clearly", () => {
    const d = decode([record(0, "a", "10"), record(1, "b", "20")], { eventTime: (r) => Number(r.decoded) * 1000 });
    expect([...d.timestamps]).toEqual([10_000, 20_000]);
    expect(() => decode([record(0, "a", "x")], { eventTime: () => NaN })).toThrow(IOError);
  });

  test("logAppendTime on a topic whose records carry their create time is refused", () => {
    expect(() => decode([record(0, "a", "x")], { eventTime: "logAppendTime" })).toThrow(expect.objectContaining({ code: "BL_KAFKA_TIMESTAMP_TYPE" }));
  });

  test("a batch built straight from buffers equals one built from rows", () => {
    const records = Array.from({ length: 50 }, (_, i) => record(i, i % 3 === 0 ? null : `k${i}`, `v${"é".repeat(i % 4)}${i}`));
    const d = decode(records, {});
    const rows = records.map((r) => ({ key: r.key?.toString() ?? null, value: r.value!.toString(), topic: "t", partition: 3, offset: Number(r.offset), timestamp: Number(r.timestamp), headers: [] }));
    expect(recordBatchToRows(d.data)).toEqual(recordBatchToRows(rowsToRecordBatch(rows, d.data.schema, "test")));
  });
});

describe("a partition's watermark", () => {
  test("the largest event time less the out-of-orderness; idle after the timeout without records", () => {
    const w = new PartitionWatermark(100, 1000, 0);
    expect(w.observe(-Infinity, 10)).toBeUndefined();
    expect(w.observe(5000, 20)).toBe(4900);
    expect(w.observe(3000, 30)).toBe(4900);
    expect(w.idle(1029)).toBe(false);
    expect(w.idle(1030)).toBe(true);
    expect(new PartitionWatermark(0, null, 0).idle(1e12)).toBe(false);
  });
});
