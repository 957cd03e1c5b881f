/** The writer of utf8 columns. */
import * as arrow from "apache-arrow";
import { suggestFieldType } from "../schema";
import { writtenStrings } from "./kept-strings";
import type { ValueReader } from "./plain-values";
import { Validity } from "./validity";
import { declared, mismatch, type WriteContext } from "./write-context";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const encoder = new TextEncoder();

/** @internal Writes a utf8 column from strings, encoding short strings inline, and keeps the strings (see `WriteContext.keepStrings`). */
export function writeUtf8(type: arrow.Utf8, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(64, n * 8));
  let pos = 0;
  const valid = new Validity(n);
  const bits = valid.bits;
  const strings = new Array<string>(n);
  let lone = false;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (typeof v === "string") {
      strings[i] = v;
      const len = v.length;
      if (pos + len * 3 > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, pos + len * 3));
        grown.set(bytes.subarray(0, pos));
        bytes = grown;
      }
      if (len > 48) {
        if (LONE_SURROGATE.test(v)) lone = true;
        pos += encoder.encodeInto(v, bytes.subarray(pos)).written;
      } else {
        for (let j = 0; j < len; j++) {
          const c = v.charCodeAt(j);
          if (c < 0x80) bytes[pos++] = c;
          else if (c < 0x800) { bytes[pos++] = 0xc0 | (c >> 6); bytes[pos++] = 0x80 | (c & 63); }
          else if (c < 0xd800 || c > 0xdfff) {
            bytes[pos++] = 0xe0 | (c >> 12); bytes[pos++] = 0x80 | ((c >> 6) & 63); bytes[pos++] = 0x80 | (c & 63);
          } else {
            const d = j + 1 < len ? v.charCodeAt(j + 1) : 0;
            if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
              const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
              bytes[pos++] = 0xf0 | (cp >> 18); bytes[pos++] = 0x80 | ((cp >> 12) & 63);
              bytes[pos++] = 0x80 | ((cp >> 6) & 63); bytes[pos++] = 0x80 | (cp & 63);
              j++;
            } else { // a lone surrogate encodes as U+FFFD, as TextEncoder does
              lone = true;
              bytes[pos++] = 0xef; bytes[pos++] = 0xbf; bytes[pos++] = 0xbd;
            }
          }
        }
      }
      bits[i >> 3] |= 1 << (i & 7);
    } else if (v === null || v === undefined) {
      valid.nulls++;
      strings[i] = "";
    } else throw mismatch(ctx, i, type, v, undefined,
      `convert it with String(...) before emitting it, or declare ${declared(ctx)} as ${suggestFieldType(v)} to match the data`);
    offsets[i + 1] = pos;
  }
  const bytesUsed = bytes.length === pos ? bytes : bytes.slice(0, pos);
  const data = arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, valueOffsets: offsets, data: bytesUsed });
  // A string with a lone surrogate reads back with U+FFFD in its place: read those from the bytes.
  if (!lone && ctx.keepStrings !== false) writtenStrings.set(data, strings);
  return data;
}
