/**
 * Reading utf8 columns as strings: their kept strings when they have them, else each value decoded from
 * its own offset range of the bytes, through a cache of recently decoded short strings. Decoding and
 * the per-row readers that call it share this module, so that call stays within it.
 */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";
import { writtenStrings } from "./kept-strings";
import type { ValueReader } from "./plain-values";

function utf8Buffer(values: Uint8Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

// Short strings decode through a direct-mapped cache of recently decoded byte strings: the same
// words, keys and codes recur, and a hit costs a hash and a compare instead of a new string.
const INTERN_BITS = 16;
const INTERN_MAX = 24;
const internStrings: (string | undefined)[] = new Array(1 << INTERN_BITS);
const internBytes = new Uint8Array((1 << INTERN_BITS) * INTERN_MAX);
const internLength = new Uint8Array(1 << INTERN_BITS).fill(255);

/** @internal Decodes UTF-8 bytes `[start, end)` of `buf`, reusing the string of an earlier decode of the same bytes. */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > INTERN_MAX || len === 0) return len === 0 ? "" : buf.toString("utf8", start, end);
  let h = 0x811c9dc5;
  for (let j = start; j < end; j++) h = Math.imul(h ^ buf[j], 0x01000193);
  const slot = (h ^ (h >>> INTERN_BITS)) & ((1 << INTERN_BITS) - 1);
  const base = slot * INTERN_MAX;
  if (internLength[slot] === len) {
    let j = 0;
    while (j < len && internBytes[base + j] === buf[start + j]) j++;
    if (j === len) return internStrings[slot]!;
  }
  const str = buf.toString("utf8", start, end);
  internLength[slot] = len;
  for (let j = 0; j < len; j++) internBytes[base + j] = buf[start + j];
  internStrings[slot] = str;
  return str;
}

/** @internal Reads a utf8 chunk ignoring validity: its kept strings when it has them, else each value decoded from its bytes. */
export function utf8Reader(data: arrow.Data): ValueReader {
  const written = writtenStrings.get(data);
  if (written) return (i) => written[i];
  const offsets = data.valueOffsets as Int32Array;
  const buf = utf8Buffer(data.values as Uint8Array);
  return (i) => decodeUtf8(buf, offsets[i], offsets[i + 1]);
}

/**
 * Decodes a utf8 column once into strings (`null` where the column is null). Each value is decoded
 * from its own offset range of the values buffer, never through Arrow's per-row getter.
 */
export function utf8Values(vector: arrow.Vector): (string | null)[] {
  if (vector.type.typeId !== arrow.Type.Utf8) {
    throw new SchemaError({
      code: "BL_SCHEMA_MISMATCH",
      domain: "internal",
      where: "utf8Values",
      value: String(vector.type),
      rule: "the column must have type utf8",
      fix: "call utf8Values only on string columns",
    });
  }
  const out = new Array<string | null>(vector.length);
  let pos = 0;
  for (const data of vector.data) {
    const bitmap = data.nullCount > 0 ? (data.nullBitmap as Uint8Array) : null;
    const off = data.offset;
    const written = writtenStrings.get(data);
    if (written) {
      for (let i = 0; i < data.length; i++) {
        out[pos++] = bitmap && !((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1) ? null : written[i];
      }
      continue;
    }
    const offsets = data.valueOffsets as Int32Array;
    const buf = utf8Buffer(data.values as Uint8Array);
    for (let i = 0; i < data.length; i++) {
      out[pos++] = bitmap && !((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1)
        ? null
        : decodeUtf8(buf, offsets[i], offsets[i + 1]);
    }
  }
  return out;
}
