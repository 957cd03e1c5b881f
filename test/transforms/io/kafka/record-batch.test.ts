/**
 * The record batches the Kafka sink encodes itself decode, with kafkajs's own decoder, to the records
 * given: keys (and null keys), values, headers, timestamps, the producer's fields and a CRC-32C that
 * matches its bytes. (The integration suite reads them with Kafka's Java consumer as well.)
 */
import { encodeRecordBatch } from "../../../../transforms/io/kafka/sink/record-batch";
import type { KafkaRecord } from "../../../../transforms/io/kafka/sink/records";

/* eslint-disable @typescript-eslint/no-require-imports */
const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (d: unknown) => Promise<{
  firstOffset: string; firstTimestamp: string; maxTimestamp: string; producerId: string; producerEpoch: number; firstSequence: number;
  inTransaction: boolean; records: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string; headers: Record<string, Buffer> }[];
}>;
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C") as (b: Buffer) => number;
/* eslint-enable @typescript-eslint/no-require-imports */

describe("the Kafka sink's record batches", () => {
  const records: KafkaRecord[] = [
    { key: Buffer.from("k-1"), value: Buffer.from('{"n":1}'), partition: 0, timestamp: 1_700_000_000_500 },
    { key: null, value: Buffer.from("x".repeat(300)), partition: 0, timestamp: 1_700_000_000_000, headers: { parity: Buffer.from("odd"), "ключ": Buffer.from([0, 255]) } },
    { key: Buffer.from("日本"), value: null, partition: 0, timestamp: 1_700_000_090_000 },
  ];

  test("decode to the records, with the producer's id, epoch, sequence and transactional flag", async () => {
    const buf = encodeRecordBatch(records, { producerId: "123456789012", epoch: 7, baseSequence: 42, transactional: true });
    const batch = await decodeBatch(new Decoder(buf));
    expect(batch).toMatchObject({ firstOffset: "0", producerId: "123456789012", producerEpoch: 7, firstSequence: 42, inTransaction: true });
    expect(batch.firstTimestamp).toBe("1700000000000");
    expect(batch.maxTimestamp).toBe("1700000090000");
    expect(batch.records.map((r) => r.key?.toString() ?? null)).toEqual(["k-1", null, "日本"]);
    expect(batch.records.map((r) => r.value?.toString() ?? null)).toEqual(['{"n":1}', "x".repeat(300), null]);
    expect(batch.records.map((r) => r.timestamp)).toEqual(["1700000000500", "1700000000000", "1700000090000"]);
    expect(batch.records.map((r) => r.offset)).toEqual(["0", "1", "2"]);
    expect(batch.records[1].headers.parity.toString()).toBe("odd");
    expect([...batch.records[1].headers["ключ"]]).toEqual([0, 255]);
    expect(batch.records[0].headers).toEqual({});
  });

  test("the CRC-32C covers everything after it, and the length field what follows it", () => {
    const buf = encodeRecordBatch(records, { producerId: "5", epoch: 0, baseSequence: 0, transactional: false });
    expect(buf.readUInt32BE(17)).toBe(crc32C(buf.subarray(21)) >>> 0);
    expect(buf.readInt32BE(8)).toBe(buf.length - 12);
    expect(buf.readInt16BE(21)).toBe(0);
    buf[buf.length - 1] ^= 1;
    expect(buf.readUInt32BE(17)).not.toBe(crc32C(buf.subarray(21)) >>> 0);
  });
});
