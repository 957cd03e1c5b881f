/**
 * Decoders for compressed Kafka record batches: snappy framed the xerial way (as Java producers write
 * it) and raw, LZ4 frames, zstd frames; registered in kafkajs's codec table without replacing a codec
 * registered before.
 */
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import * as lz4 from "lz4js";
import * as snappy from "snappyjs";
import { decodeLz4, decodeSnappy, decodeZstd, registerKafkaCodecs } from "../../../../transforms/io/kafka/client/codecs";

const TEXT = Buffer.from("beamline reads compressed topics ".repeat(200));

/** A snappy stream framed as xerial's SnappyOutputStream frames it: magic, version 1, compatible 1, then length-prefixed blocks. */
function xerial(data: Buffer, blockSize: number): Buffer {
  const parts = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let at = 0; at < data.length; at += blockSize) {
    const block = Buffer.from(snappy.compress(new Uint8Array(data.subarray(at, at + blockSize))));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

describe("Kafka codecs", () => {
  test("snappy: a xerial-framed stream of several blocks, and a raw block", () => {
    expect(decodeSnappy(xerial(TEXT, 1000))).toEqual(TEXT);
    expect(decodeSnappy(Buffer.from(snappy.compress(new Uint8Array(TEXT))))).toEqual(TEXT);
  });

  test("snappy: a xerial block running past the data is refused as corrupt", () => {
    const framed = xerial(TEXT, 1000);
    expect(() => decodeSnappy(framed.subarray(0, framed.length - 5))).toThrow(expect.objectContaining({ code: "BL_KAFKA_CORRUPT" }));
  });

  test("lz4: a frame", () => {
    expect(decodeLz4(Buffer.from(lz4.compress(new Uint8Array(TEXT))))).toEqual(TEXT);
  });

  test("zstd: a frame written by the zstd tool", () => {
    // `printf 'beamline reads zstd %.0s' {1..20} | zstd -19 -c | base64`, without the last space
    const frame = Buffer.from("KLUv/QRo3QAAoGJlYW1saW5lIHJlYWRzIHpzdGQgAQDwTp1Mx///Zw==", "base64");
    expect(decodeZstd(frame).toString()).toBe("beamline reads zstd ".repeat(20).trim());
  });

  test("registered in kafkajs's table where it has no working codec; one registered before is kept", async () => {
    const codecs = CompressionCodecs as Record<number, () => { decompress(b: Buffer): Promise<Buffer> }>;
    const before = codecs[CompressionTypes.LZ4];
    const own = () => ({ compress: async (b: Buffer) => b, decompress: async (b: Buffer) => b });
    codecs[CompressionTypes.LZ4] = own;
    try {
      registerKafkaCodecs();
      expect(codecs[CompressionTypes.LZ4]).toBe(own);
      expect(await codecs[CompressionTypes.Snappy]().decompress(xerial(TEXT, 500))).toEqual(TEXT);
    } finally {
      codecs[CompressionTypes.LZ4] = before;
    }
  });
});
