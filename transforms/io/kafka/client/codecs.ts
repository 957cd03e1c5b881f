/**
 * Decoders for compressed topics: kafkajs decodes only gzip, so snappy, lz4 and zstd record batches
 * (as Java producers write them) are decoded here with pure-JavaScript packages and registered in
 * kafkajs's codec table by `registerKafkaCodecs` (called by the reading source before it fetches).
 * Only decoding: compressing is the sink's choice.
 */
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import * as lz4 from "lz4js";
import * as snappy from "snappyjs";
import { decompress as zstdDecompress } from "fzstd";
import { IOError } from "../../../../sdk/errors";

/** The 8 bytes that open a snappy stream framed the xerial way (`\x82SNAPPY\0`). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** The xerial header: the magic, then a version and a compatible version (int32 each). */
const XERIAL_HEADER = 16;

/**
 * Decodes snappy as Kafka's producers frame it: the xerial stream (a header, then blocks each
 * prefixed by its big-endian int32 length), or one raw snappy block.
 */
export function decodeSnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return Buffer.from(snappy.uncompress(new Uint8Array(data)));
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER; at < data.length; ) {
    if (at + 4 > data.length) throw corrupt("snappy", "a block length is cut off");
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > data.length) throw corrupt("snappy", `a block of ${length} bytes runs past the data`);
    blocks.push(Buffer.from(snappy.uncompress(data.subarray(at, at + length))));
    at += length;
  }
  return Buffer.concat(blocks);
}

/** Decodes an LZ4 frame (what Kafka's producers write since message format 1). */
export function decodeLz4(data: Buffer): Buffer {
  const out = lz4.decompress(new Uint8Array(data.buffer, data.byteOffset, data.length));
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

/** Decodes a zstd frame. */
export function decodeZstd(data: Buffer): Buffer {
  const out = zstdDecompress(new Uint8Array(data.buffer, data.byteOffset, data.length));
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

function corrupt(codec: string, rule: string): IOError {
  return new IOError({ code: "BL_KAFKA_CORRUPT", domain: "external", value: codec, rule: `a ${codec}-compressed record batch is corrupt: ${rule}`, fix: "check the producer's compression settings; the topic's data cannot be decoded" });
}

/** A kafkajs codec that decodes with `decode` and refuses to compress (Beamline's reads never compress). */
function decodingCodec(name: string, decode: (data: Buffer) => Buffer) {
  return () => ({
    async compress(): Promise<Buffer> {
      throw new IOError({ code: "BL_KAFKA_CODEC", value: name, rule: `Beamline's ${name} codec only decodes`, fix: "write with gzip or no compression" });
    },
    async decompress(data: Buffer): Promise<Buffer> {
      return decode(data);
    },
  });
}

/** Whether kafkajs's codec table holds a working codec for `type` (its defaults throw when looked up). */
function hasCodec(codecs: Record<number, unknown>, type: number): boolean {
  const lookup = codecs[type];
  if (typeof lookup !== "function") return false;
  try {
    lookup();
    return true;
  } catch {
    return false;
  }
}

/** Registers the snappy, lz4 and zstd decoders in kafkajs's codec table where it has none (a codec registered before is kept). */
export function registerKafkaCodecs(): void {
  const codecs = CompressionCodecs as Record<number, unknown>;
  const table: [number, string, (data: Buffer) => Buffer][] = [
    [CompressionTypes.Snappy, "snappy", decodeSnappy],
    [CompressionTypes.LZ4, "lz4", decodeLz4],
    [CompressionTypes.ZSTD, "zstd", decodeZstd],
  ];
  for (const [type, name, decode] of table) if (!hasCodec(codecs, type)) codecs[type] = decodingCodec(name, decode);
}
