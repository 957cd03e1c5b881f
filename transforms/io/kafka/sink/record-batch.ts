/**
 * Kafka's record batch (magic 2, uncompressed), encoded in one pass into one buffer: sizes first, then
 * the batch header, the records with their varints, and the CRC-32C over everything after the CRC
 * field, as Kafka's `DefaultRecordBatch` writes it.
 */
import type { KafkaRecord } from "./records";

/* eslint-disable @typescript-eslint/no-require-imports */
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C") as (b: Buffer) => number;
/* eslint-enable @typescript-eslint/no-require-imports */

/** The bytes before the first record: offset, length, epoch, magic, CRC, attributes, deltas, times, producer, sequence, count. */
const HEADER_BYTES = 61;
/** Where the CRC-32C starts covering (the attributes field). */
const CRC_START = 21;
/** The attributes bit of a transactional batch. */
const TRANSACTIONAL = 0x10;

/** Bytes of `v` as a zigzag varint. */
function varintSize(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes `v` as a zigzag varint (up to 2^53) at `at`; returns the next position. */
function writeVarint(buf: Buffer, at: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  buf[at++] = z;
  return at;
}

/** What a batch's producer fields hold. */
export interface BatchProducer {
  /** The producer id, as a decimal string. */
  readonly producerId: string;
  readonly epoch: number;
  /** The sequence number of the batch's first record. */
  readonly baseSequence: number;
  readonly transactional: boolean;
}

/** The record batch of `records` (one partition's), as the Produce request carries it. */
export function encodeRecordBatch(records: readonly KafkaRecord[], producer: BatchProducer): Buffer {
  const n = records.length;
  let first = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = records[i].timestamp;
    if (t < first) first = t;
    if (t > max) max = t;
  }
  // Record bodies (after their length varint): attributes, deltas, key, value, headers.
  const bodies = new Int32Array(n);
  let total = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    let size = 1 + varintSize(r.timestamp - first) + varintSize(i);
    size += r.key ? varintSize(r.key.length) + r.key.length : 1;
    size += r.value ? varintSize(r.value.length) + r.value.length : 1;
    const h = r.headers;
    let count = 0;
    if (h) {
      for (const name in h) {
        const nameBytes = Buffer.byteLength(name);
        size += varintSize(nameBytes) + nameBytes + varintSize(h[name].length) + h[name].length;
        count++;
      }
    }
    size += varintSize(count);
    bodies[i] = size;
    total += varintSize(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  buf.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  buf.writeInt32BE(total - 12, 8); // length of what follows this field
  buf.writeInt32BE(-1, 12); // partition leader epoch: none (the broker sets it)
  buf.writeInt8(2, 16); // magic
  buf.writeInt16BE(producer.transactional ? TRANSACTIONAL : 0, CRC_START);
  buf.writeInt32BE(n - 1, 23);
  buf.writeBigInt64BE(BigInt(first), 27);
  buf.writeBigInt64BE(BigInt(max), 35);
  buf.writeBigInt64BE(BigInt(producer.producerId), 43);
  buf.writeInt16BE(producer.epoch, 51);
  buf.writeInt32BE(producer.baseSequence, 53);
  buf.writeInt32BE(n, 57);
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    at = writeVarint(buf, at, bodies[i]);
    buf[at++] = 0; // record attributes
    at = writeVarint(buf, at, r.timestamp - first);
    at = writeVarint(buf, at, i);
    if (r.key) {
      at = writeVarint(buf, at, r.key.length);
      at += r.key.copy(buf, at);
    } else at = writeVarint(buf, at, -1);
    if (r.value) {
      at = writeVarint(buf, at, r.value.length);
      at += r.value.copy(buf, at);
    } else at = writeVarint(buf, at, -1);
    const h = r.headers;
    if (h) {
      const names = Object.keys(h);
      at = writeVarint(buf, at, names.length);
      for (const name of names) {
        const nameBytes = Buffer.byteLength(name);
        at = writeVarint(buf, at, nameBytes);
        at += buf.write(name, at, "utf8");
        at = writeVarint(buf, at, h[name].length);
        at += h[name].copy(buf, at);
      }
    } else at = writeVarint(buf, at, 0);
  }
  buf.writeUInt32BE(crc32C(buf.subarray(CRC_START)) >>> 0, 17);
  return buf;
}
