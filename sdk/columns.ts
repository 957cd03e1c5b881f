/**
 * Columnar kernels on Arrow data: read values, build columns from JavaScript values, and take, filter
 * and concatenate record batches. Hot paths work on the typed arrays behind `arrow.Data` (values,
 * offsets, validity bitmaps), never on Arrow's per-row getters or row proxies.
 *
 * Conventions for values read (shared with rows.ts): utf8 → string, numbers → number, int64 → number
 * (bigint only beyond Number.MAX_SAFE_INTEGER), timestamp → number of ms, bool → boolean,
 * binary → Uint8Array (a copy), list → plain array, struct → plain object, null → null.
 */
import * as arrow from "apache-arrow";
import { BeamlineError, SchemaError } from "./errors";
import { describeType, suggestFieldType } from "./schema";

/** Reads the i-th value of a column. */
export type ValueReader = (i: number) => unknown;

type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type TypedArrayCtor = new (length: number) => TypedArray;

const TWO_32 = 4294967296;
const INT64_MIN = -9223372036854775808; // exactly -2^63 as a double
const INT64_LIMIT = 9223372036854775808; // exactly 2^63
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6]; // TimeUnit SECOND, MILLISECOND, MICROSECOND, NANOSECOND

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** A view of a 64-bit integer buffer as pairs of 32-bit words (low word first). */
function int32Words(values: BigInt64Array | BigUint64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

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

/**
 * The strings a utf8 column was written from (null rows as ""), kept while the column lives so that
 * reading it in the same thread returns them instead of decoding its bytes again.
 */
const writtenStrings = new WeakMap<arrow.Data, string[]>();

/** @internal Whether a utf8 column keeps the strings it was written from (see `WriteContext.keepStrings`). */
export function keepsStrings(data: arrow.Data): boolean {
  return writtenStrings.has(data);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Reads a value ignoring validity; `i` is the logical index within `data`. */
function rawReader(data: arrow.Data): ValueReader {
  const type = data.type;
  switch (type.typeId) {
    case arrow.Type.Null:
      return () => null;
    case arrow.Type.Float: {
      if ((type as arrow.Float).precision === arrow.Precision.HALF) break;
      const values = data.values as Float64Array | Float32Array;
      return (i) => values[i];
    }
    case arrow.Type.Int: {
      const int = type as arrow.Int;
      if (int.bitWidth < 64) {
        const values = data.values as Int32Array;
        return (i) => values[i];
      }
      const big = data.values as BigInt64Array;
      if (!LITTLE_ENDIAN) return (i) => toNumberIfSafe(big[i]);
      const w = int32Words(big);
      return int.isSigned
        ? (i) => { const x = w[2 * i + 1] * TWO_32 + (w[2 * i] >>> 0); return Number.isSafeInteger(x) ? x : big[i]; }
        : (i) => { const x = (w[2 * i + 1] >>> 0) * TWO_32 + (w[2 * i] >>> 0); return Number.isSafeInteger(x) ? x : big[i]; };
    }
    case arrow.Type.Timestamp: {
      const unit = (type as arrow.Timestamp).unit;
      const big = data.values as BigInt64Array;
      if (unit !== arrow.TimeUnit.MILLISECOND || !LITTLE_ENDIAN) {
        const scale = MS_PER_UNIT[unit];
        return (i) => Number(big[i]) * scale;
      }
      const w = int32Words(big);
      return (i) => w[2 * i + 1] * TWO_32 + (w[2 * i] >>> 0);
    }
    case arrow.Type.Bool: {
      const bits = data.values as Uint8Array;
      const off = data.offset;
      return (i) => ((bits[(off + i) >> 3] >> ((off + i) & 7)) & 1) === 1;
    }
    case arrow.Type.Utf8: {
      const written = writtenStrings.get(data);
      if (written) return (i) => written[i];
      const offsets = data.valueOffsets as Int32Array;
      const buf = utf8Buffer(data.values as Uint8Array);
      return (i) => decodeUtf8(buf, offsets[i], offsets[i + 1]);
    }
    case arrow.Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      return (i) => bytes.slice(offsets[i], offsets[i + 1]);
    }
    case arrow.Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const item = dataReader(data.children[0]);
      return (i) => {
        const begin = offsets[i];
        const out = new Array(offsets[i + 1] - begin);
        for (let j = 0; j < out.length; j++) out[j] = item(begin + j);
        return out;
      };
    }
    case arrow.Type.Struct: {
      const make = objectMaker((type as arrow.Struct).children.map((f) => f.name), "readers");
      const readers = data.children.map(dataReader);
      return (i) => make(readers, i);
    }
    default:
      break;
  }
  const vector = arrow.makeVector(data);
  return (i) => normalizeArrowValue(vector.get(i));
}

/**
 * @internal Builds (once per field list) a function that makes a fresh plain object with the given keys,
 * reading field f as `sources[f](i)` ("readers") or `sources[f][i]` ("arrays"). An object literal in
 * generated code gives every row the same hidden class and avoids keyed stores: about 3x faster than
 * assigning keys in a loop.
 */
export function objectMaker(names: readonly string[], from: "readers"): (sources: readonly ValueReader[], i: number) => Record<string, unknown>;
export function objectMaker(names: readonly string[], from: "arrays"): (sources: readonly (readonly unknown[])[], i: number) => Record<string, unknown>;
export function objectMaker(names: readonly string[], from: "readers" | "arrays"): (sources: readonly never[], i: number) => Record<string, unknown> {
  const key = `${from}\u0000${JSON.stringify(names)}`;
  let make = makers.get(key);
  if (!make) {
    if (names.includes("__proto__")) {
      // An object literal (or a plain store) would set the prototype; define the own property instead.
      make = (sources: readonly unknown[], i: number) => {
        const obj: Record<string, unknown> = {};
        for (let f = 0; f < names.length; f++) {
          const src = sources[f] as ValueReader & unknown[];
          Object.defineProperty(obj, names[f], { value: from === "readers" ? src(i) : src[i], enumerable: true, writable: true, configurable: true });
        }
        return obj;
      };
    } else {
      const read = (f: number) => (from === "readers" ? `s[${f}](i)` : `s[${f}][i]`);
      make = new Function("s", "i", `return {${names.map((name, f) => `${JSON.stringify(name)}: ${read(f)}`).join(", ")}};`) as Maker;
    }
    if (makers.size > 1000) makers.clear();
    makers.set(key, make);
  }
  return make;
}

type Maker = (sources: readonly never[], i: number) => Record<string, unknown>;
const makers = new Map<string, Maker>();

/** Converts what Arrow's own getters return into Beamline's plain JavaScript values. */
function normalizeArrowValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return toNumberIfSafe(v);
  if (v instanceof arrow.Vector) return [...v].map(normalizeArrowValue);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function" && !ArrayBuffer.isView(v)) {
    const json = (v as { toJSON(): unknown }).toJSON();
    if (json && typeof json === "object" && !Array.isArray(json)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(json)) out[k] = normalizeArrowValue(x);
      return out;
    }
    return json;
  }
  return v;
}

function toNumberIfSafe(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** @internal Builds a reader over one Data chunk: logical index → JS value (null where invalid). */
export function dataReader(data: arrow.Data): ValueReader {
  const read = rawReader(data);
  if (data.typeId === arrow.Type.Null || data.nullCount === 0) return read;
  const bitmap = data.nullBitmap as Uint8Array;
  const off = data.offset;
  return (i) => ((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1 ? read(i) : null);
}

/**
 * Builds a reader over a (possibly multi-chunk) vector once; the reader returns the i-th value as a
 * fresh plain JavaScript value (see the module doc for the conventions).
 */
export function valueReader(vector: arrow.Vector): ValueReader {
  const chunks = vector.data;
  if (chunks.length === 1) return dataReader(chunks[0]);
  if (chunks.length === 0) return () => null;
  const readers = chunks.map(dataReader);
  const starts = new Array<number>(chunks.length + 1);
  starts[0] = 0;
  for (let c = 0; c < chunks.length; c++) starts[c + 1] = starts[c] + chunks[c].length;
  let c = 0;
  return (i) => {
    if (i < starts[c] || i >= starts[c + 1]) {
      let lo = 0;
      let hi = chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= i) lo = mid; else hi = mid - 1;
      }
      c = lo;
    }
    return readers[c](i - starts[c]);
  };
}

/** @internal Reads every value of a vector into a plain array (strings decoded per offset range). */
export function vectorValues(vector: arrow.Vector): unknown[] {
  const out = new Array<unknown>(vector.length);
  let pos = 0;
  for (const data of vector.data) {
    const read = dataReader(data);
    for (let i = 0; i < data.length; i++) out[pos++] = read(i);
  }
  return out;
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

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** @internal Where values being written come from, for error messages. */
export interface WriteContext {
  /** The transform or call site. */
  readonly where: string;
  /** The field path (`count`, `items[].price`); empty for bare values. */
  readonly path: string;
  /** The row index of the i-th value being written. */
  readonly rowOf: (i: number) => number;
  /** The whole schema, described, when writing rows. */
  readonly expected?: string;
  /**
   * Whether a string column keeps the strings it was written from, so that reading it back needs no
   * decoding (true by default). Kept strings live as long as the column: where nothing will read the
   * values back as strings, not keeping them spares the garbage collector.
   */
  readonly keepStrings?: boolean;
}

function kindName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a Date";
  if (v instanceof Uint8Array) return "a Uint8Array";
  if (typeof v === "object") {
    const name = Object.getPrototypeOf(v)?.constructor?.name as string | undefined;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof v === "number" && !Number.isInteger(v)) return Number.isFinite(v) ? "a non-integer number" : `${v}`;
  return `a ${typeof v}`;
}

function mismatch(ctx: WriteContext, i: number, type: arrow.DataType, v: unknown, rule?: string, fix?: string): SchemaError {
  const field = ctx.path ? `field "${ctx.path}"` : "value";
  const expected = ctx.expected ? ` (schema ${ctx.expected})` : "";
  return new SchemaError({
    code: "BL_SCHEMA_MISMATCH",
    where: ctx.where,
    value: v,
    rule: `row ${ctx.rowOf(i)}, ${field}: ${rule ?? `expected ${describeType(type)}, got ${kindName(v)}`}${expected}`,
    fix: fix ?? `emit a ${describeType(type)} there (or null), or declare ${declared(ctx)} as ${suggestFieldType(v)} to match the data`,
  });
}

function declared(ctx: WriteContext): string {
  return ctx.path ? `field "${ctx.path}"` : "the value type";
}

class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(n: number) { this.bits = new Uint8Array((n + 7) >> 3); }
  /** The bitmap to hand to makeData: none when there are no nulls. */
  get bitmap(): Uint8Array | undefined { return this.nulls > 0 ? this.bits : undefined; }
}

function isStructValue(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)
    && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set);
}

function writeFloat(type: arrow.Float, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const values = type.precision === arrow.Precision.DOUBLE ? new Float64Array(n) : new Float32Array(n);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (typeof v === "number") { values[i] = v; bits[i >> 3] |= 1 << (i & 7); }
    else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, data: values });
}

function writeSmallInt(type: arrow.Int, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const values = new (type.ArrayType as unknown as TypedArrayCtor)(n) as Int32Array;
  const min = type.isSigned ? -(2 ** (type.bitWidth - 1)) : 0;
  const max = type.isSigned ? 2 ** (type.bitWidth - 1) - 1 : 2 ** type.bitWidth - 1;
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) { values[i] = v; bits[i >> 3] |= 1 << (i & 7); }
    else if (v === null || v === undefined) valid.nulls++;
    else throw intMismatch(ctx, i, type, v, min, max);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, data: values });
}

function intMismatch(ctx: WriteContext, i: number, type: arrow.Int | arrow.Timestamp, v: unknown, min: number | bigint, max: number | bigint): SchemaError {
  const name = describeType(type);
  if (typeof v === "number" && !Number.isInteger(v)) {
    return mismatch(ctx, i, type, v, `expected ${name}, got ${kindName(v)}`,
      Number.isFinite(v)
        ? `round the value (Math.round / Math.trunc) before emitting it, or declare ${declared(ctx)} as t.float64()`
        : `emit a finite integer or null, or declare ${declared(ctx)} as t.float64()`);
  }
  if (typeof v === "number" || typeof v === "bigint") {
    return mismatch(ctx, i, type, v, `expected ${name}, but the value is outside [${min}, ${max}]`,
      `declare ${declared(ctx)} as ${type.typeId === arrow.Type.Int && (type as arrow.Int).bitWidth < 64 ? "t.int64()" : "t.float64()"}`);
  }
  return mismatch(ctx, i, type, v);
}

/** Writes 64-bit integers: numbers (integers) and bigints; timestamps also take Dates. */
function writeInt64(type: arrow.Int | arrow.Timestamp, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const signed = type.typeId === arrow.Type.Timestamp || (type as arrow.Int).isSigned;
  const isTimestamp = type.typeId === arrow.Type.Timestamp;
  const values = signed ? new BigInt64Array(n) : new BigUint64Array(n);
  const w = LITTLE_ENDIAN ? int32Words(values) : null;
  const minN = signed ? INT64_MIN : 0;
  const maxN = signed ? INT64_LIMIT : 2 * INT64_LIMIT; // exclusive
  const minB = signed ? -(BigInt(1) << BigInt(63)) : BigInt(0);
  const maxB = signed ? (BigInt(1) << BigInt(63)) - BigInt(1) : (BigInt(1) << BigInt(64)) - BigInt(1);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    let v = get(i);
    if (v === null || v === undefined) { valid.nulls++; continue; }
    if (isTimestamp && v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) throw mismatch(ctx, i, type, v, "expected timestamp, got an invalid Date", "emit a valid Date or a number of milliseconds since the epoch");
      v = ms;
    }
    if (typeof v === "number") {
      if (!Number.isInteger(v) || v < minN || v >= maxN) throw intMismatch(ctx, i, type, v, minB, maxB);
      if (w !== null && Number.isSafeInteger(v)) {
        const hi = Math.floor(v / TWO_32);
        w[2 * i] = v - hi * TWO_32;
        w[2 * i + 1] = hi;
      } else {
        values[i] = BigInt(v);
      }
    } else if (typeof v === "bigint") {
      if (v < minB || v > maxB) throw intMismatch(ctx, i, type, v, minB, maxB);
      values[i] = v;
    } else {
      throw mismatch(ctx, i, type, v);
    }
    bits[i >> 3] |= 1 << (i & 7);
  }
  return arrow.makeData({ type: type as arrow.Int, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, data: values });
}

function writeBool(type: arrow.Bool, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const values = new Uint8Array((n + 7) >> 3);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === true) { values[i >> 3] |= 1 << (i & 7); bits[i >> 3] |= 1 << (i & 7); }
    else if (v === false) bits[i >> 3] |= 1 << (i & 7);
    else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, data: values });
}

const encoder = new TextEncoder();

function writeUtf8(type: arrow.Utf8, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
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

function writeBinary(type: arrow.Binary, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const offsets = new Int32Array(n + 1);
  const valid = new Validity(n);
  const bits = valid.bits;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v instanceof Uint8Array) { total += v.length; bits[i >> 3] |= 1 << (i & 7); }
    else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v instanceof Uint8Array) data.set(v, offsets[i]);
  }
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, valueOffsets: offsets, data });
}

function upperBound(offsets: Int32Array, x: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function writeList(type: arrow.List, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const offsets = new Int32Array(n + 1);
  const items: unknown[] = [];
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) items.push(v[j]);
      bits[i >> 3] |= 1 << (i & 7);
    } else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
    offsets[i + 1] = items.length;
  }
  const child = buildData(type.children[0].type, items.length, (j) => items[j], {
    where: ctx.where,
    path: `${ctx.path}[]`,
    rowOf: (j) => ctx.rowOf(upperBound(offsets, j) - 1),
    expected: ctx.expected,
  });
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, valueOffsets: offsets, child });
}

/** @internal Validates struct values (or top-level rows) and builds the child columns. */
export function writeStructChildren(
  fields: readonly arrow.Field[], n: number, get: ValueReader, ctx: WriteContext, topLevel: boolean,
): { children: arrow.Data[]; validity: Validity } {
  const names = fields.map((f) => f.name);
  const known: Record<string, true> = Object.create(null);
  for (const name of names) known[name] = true;
  const objects = new Array<Record<string, unknown> | null>(n);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (isStructValue(v)) {
      for (const k in v) {
        if (known[k] !== true && v[k] !== undefined) throw unknownField(ctx, i, k, v, names, topLevel);
      }
      objects[i] = v;
      bits[i >> 3] |= 1 << (i & 7);
    } else if (!topLevel && (v === null || v === undefined)) {
      objects[i] = null;
      valid.nulls++;
    } else if (topLevel) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        where: ctx.where,
        value: v,
        rule: `row ${ctx.rowOf(i)} must be an object with the fields ${ctx.expected ?? describeFields(fields)}, got ${kindName(v)}`,
        fix: "emit one object per row with those fields, or declare a scalar schema for bare values, e.g. scalarSchema(" + suggestFieldType(v) + ")",
      });
    } else {
      throw mismatch(ctx, i, new arrow.Struct(fields as arrow.Field[]), v);
    }
  }
  const children = fields.map((f) => buildData(f.type, n, (i) => {
    const o = objects[i];
    return o === null ? null : o[f.name];
  }, { where: ctx.where, path: ctx.path ? `${ctx.path}.${f.name}` : f.name, rowOf: ctx.rowOf, expected: ctx.expected, keepStrings: ctx.keepStrings }));
  return { children, validity: valid };
}

function describeFields(fields: readonly arrow.Field[]): string {
  return describeType(new arrow.Struct(fields as arrow.Field[]));
}

function unknownField(ctx: WriteContext, i: number, key: string, v: unknown, names: string[], topLevel: boolean): SchemaError {
  const where = topLevel ? `row ${ctx.rowOf(i)}` : `row ${ctx.rowOf(i)}, field "${ctx.path}"`;
  const schemaText = ctx.expected ?? `{${names.join(", ")}}`;
  return new SchemaError({
    code: "BL_SCHEMA_UNKNOWN_FIELD",
    where: ctx.where,
    value: v,
    rule: `${where} has a field "${key}" that is not in the schema ${schemaText}`,
    fix: `add "${key}" to the schema (e.g. ${key}: ${suggestFieldType((v as Record<string, unknown>)[key])}), or drop it from the row`,
  });
}

function writeStruct(type: arrow.Struct, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const { children, validity } = writeStructChildren(type.children, n, get, ctx, false);
  return arrow.makeData({ type, length: n, nullCount: validity.nulls, nullBitmap: validity.bitmap, children });
}

function writeWithBuilder(type: arrow.DataType, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const builder = arrow.makeBuilder({ type, nullValues: [null, undefined] });
  for (let i = 0; i < n; i++) {
    const v = get(i);
    try {
      builder.append(v);
    } catch (err) {
      throw mismatch(ctx, i, type, v, `cannot be written as ${describeType(type)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return builder.finish().flush();
}

/** @internal Builds one Data chunk of `type` from `n` values read through `get`, validating each. */
export function buildData(type: arrow.DataType, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  switch (type.typeId) {
    case arrow.Type.Float:
      if ((type as arrow.Float).precision !== arrow.Precision.HALF) return writeFloat(type as arrow.Float, n, get, ctx);
      break;
    case arrow.Type.Int:
      return (type as arrow.Int).bitWidth === 64 ? writeInt64(type as arrow.Int, n, get, ctx) : writeSmallInt(type as arrow.Int, n, get, ctx);
    case arrow.Type.Timestamp:
      if ((type as arrow.Timestamp).unit === arrow.TimeUnit.MILLISECOND) return writeInt64(type as arrow.Timestamp, n, get, ctx);
      break;
    case arrow.Type.Bool: return writeBool(type as arrow.Bool, n, get, ctx);
    case arrow.Type.Utf8: return writeUtf8(type as arrow.Utf8, n, get, ctx);
    case arrow.Type.Binary: return writeBinary(type as arrow.Binary, n, get, ctx);
    case arrow.Type.List: return writeList(type as arrow.List, n, get, ctx);
    case arrow.Type.Struct: return writeStruct(type as arrow.Struct, n, get, ctx);
    case arrow.Type.Null:
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (v !== null && v !== undefined) throw mismatch(ctx, i, type, v);
      }
      return arrow.makeData({ type: type as arrow.Null, length: n });
    default:
      break;
  }
  return writeWithBuilder(type, n, get, ctx);
}

/** Builds a single-chunk vector of `type` from JavaScript values (null/undefined → null), validating each value. */
export function vectorFromValues(values: readonly unknown[], type: arrow.DataType, where = "vectorFromValues"): arrow.Vector {
  const data = buildData(type, values.length, (i) => values[i], { where, path: "", rowOf: (i) => i });
  return arrow.makeVector(data);
}

// ---------------------------------------------------------------------------------------------
// Take, filter, concatenate
// ---------------------------------------------------------------------------------------------

function takeValidity(data: arrow.Data, indices: Int32Array): Validity | null {
  if (data.nullCount === 0) return null;
  const k = indices.length;
  const out = new Validity(k);
  const bits = out.bits;
  const src = data.nullBitmap as Uint8Array;
  const off = data.offset;
  for (let j = 0; j < k; j++) {
    const p = off + indices[j];
    if ((src[p >> 3] >> (p & 7)) & 1) bits[j >> 3] |= 1 << (j & 7);
    else out.nulls++;
  }
  return out;
}

function gatherFixed(values: TypedArray, stride: number, indices: Int32Array): TypedArray {
  const k = indices.length;
  const Ctor = values.constructor as TypedArrayCtor;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const src = int32Words(values);
    const out = new Ctor(k * stride) as BigInt64Array;
    const dst = int32Words(out);
    const s2 = stride * 2;
    for (let j = 0; j < k; j++) {
      const from = indices[j] * s2;
      const to = j * s2;
      for (let b = 0; b < s2; b++) dst[to + b] = src[from + b];
    }
    return out;
  }
  const src = values as Float64Array;
  const out = new Ctor(k * stride) as Float64Array;
  if (stride === 1) {
    for (let j = 0; j < k; j++) out[j] = src[indices[j]];
  } else {
    for (let j = 0; j < k; j++) {
      const from = indices[j] * stride;
      for (let b = 0; b < stride; b++) out[j * stride + b] = src[from + b];
    }
  }
  return out;
}

function isFixedWidth(type: arrow.DataType): boolean {
  switch (type.typeId) {
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Timestamp: case arrow.Type.Date:
    case arrow.Type.Time: case arrow.Type.Duration: case arrow.Type.Decimal: case arrow.Type.Interval:
    case arrow.Type.FixedSizeBinary:
      return true;
    default:
      return false;
  }
}

function checkIndices(indices: Int32Array, length: number): void {
  for (let j = 0; j < indices.length; j++) {
    const x = indices[j];
    if (x < 0 || x >= length) {
      throw new BeamlineError({
        code: "BL_INDEX_OUT_OF_RANGE",
        domain: "internal",
        where: "takeVector",
        value: x,
        rule: `index ${j} is outside the column's ${length} rows`,
        fix: "pass indices in [0, length)",
      });
    }
  }
}

/** @internal Gathers rows of one Data chunk: the j-th output value is the `indices[j]`-th input value. */
export function takeData(data: arrow.Data, indices: Int32Array): arrow.Data {
  const type = data.type;
  const k = indices.length;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: k });
  const valid = takeValidity(data, indices);
  const nullCount = valid ? valid.nulls : 0;
  const nullBitmap = valid && valid.nulls > 0 ? valid.bits : undefined;
  if (isFixedWidth(type) && !(type.typeId === arrow.Type.Float && (type as arrow.Float).precision === arrow.Precision.HALF)) {
    const values = gatherFixed(data.values as TypedArray, data.stride, indices);
    return new arrow.Data(type, 0, k, nullCount, [undefined, values, nullBitmap] as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const src = data.values as Uint8Array;
      const off = data.offset;
      const out = new Uint8Array((k + 7) >> 3);
      for (let j = 0; j < k; j++) {
        const p = off + indices[j];
        if ((src[p >> 3] >> (p & 7)) & 1) out[j >> 3] |= 1 << (j & 7);
      }
      return arrow.makeData({ type: type as arrow.Bool, length: k, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const o = data.valueOffsets as Int32Array;
      const src = data.values as Uint8Array;
      const offsets = new Int32Array(k + 1);
      let total = 0;
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        total += o[x + 1] - o[x];
        offsets[j + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        const s = o[x];
        const e = o[x + 1];
        let pos = offsets[j];
        if (e - s > 32) out.set(src.subarray(s, e), pos);
        else for (let b = s; b < e; b++) out[pos++] = src[b];
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: k, nullCount, nullBitmap, valueOffsets: offsets, data: out });
    }
    case arrow.Type.List: {
      const o = data.valueOffsets as Int32Array;
      const offsets = new Int32Array(k + 1);
      let total = 0;
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        total += o[x + 1] - o[x];
        offsets[j + 1] = total;
      }
      const childIndices = new Int32Array(total);
      for (let j = 0, pos = 0; j < k; j++) {
        const x = indices[j];
        for (let c = o[x]; c < o[x + 1]; c++) childIndices[pos++] = c;
      }
      const child = takeData(data.children[0], childIndices);
      return arrow.makeData({ type: type as arrow.List, length: k, nullCount, nullBitmap, valueOffsets: offsets, child });
    }
    case arrow.Type.Struct: {
      const children = data.children.map((c) => takeData(c, indices));
      return arrow.makeData({ type: type as arrow.Struct, length: k, nullCount, nullBitmap, children });
    }
    default: {
      const read = dataReader(data);
      return writeWithBuilder(type, k, (j) => read(indices[j]), { where: "takeVector", path: "", rowOf: (j) => indices[j] });
    }
  }
}

/** Gathers values: the j-th output value is the `indices[j]`-th input value. Handles nulls and multi-chunk vectors; returns one chunk. */
export function takeVector(vector: arrow.Vector, indices: Int32Array): arrow.Vector {
  checkIndices(indices, vector.length);
  return arrow.makeVector(takeData(singleData(vector), indices));
}

/** @internal The vector's data as one chunk (concatenated when it has several). */
export function singleData(vector: arrow.Vector): arrow.Data {
  return vector.data.length === 1 ? vector.data[0] : concatData(vector.type, vector.data);
}

/** @internal Builds a RecordBatch over `children` that keeps the very `schema` object given (metadata included). */
export function makeRecordBatch(schema: arrow.Schema, children: arrow.Data[], length: number): arrow.RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  const batch = new arrow.RecordBatch(schema, data);
  if (batch.schema !== schema) (batch as { schema: arrow.Schema }).schema = schema;
  return batch;
}

/** Gathers rows of a batch: row j of the result is row `indices[j]` of `batch`. Keeps the batch's schema. */
export function takeRecordBatch(batch: arrow.RecordBatch, indices: Int32Array): arrow.RecordBatch {
  checkIndices(indices, batch.numRows);
  const children = batch.data.children.map((c) => takeData(c, indices));
  return makeRecordBatch(batch.schema, children, indices.length);
}

/** Keeps the rows whose `keep[i]` is non-zero, in order. Keeps the batch's schema. */
export function filterRecordBatch(batch: arrow.RecordBatch, keep: Uint8Array): arrow.RecordBatch {
  const n = batch.numRows;
  if (keep.length < n) {
    throw new BeamlineError({
      code: "BL_FILTER_MASK_LENGTH",
      domain: "internal",
      where: "filterRecordBatch",
      value: keep.length,
      rule: `the keep mask has ${keep.length} entries but the batch has ${n} rows`,
      fix: "pass one mask entry per row",
    });
  }
  let count = 0;
  for (let i = 0; i < n; i++) if (keep[i] !== 0) count++;
  if (count === n) return batch;
  const indices = new Int32Array(count);
  for (let i = 0, j = 0; i < n; i++) if (keep[i] !== 0) indices[j++] = i;
  return makeRecordBatch(batch.schema, batch.data.children.map((c) => takeData(c, indices)), count);
}

function concatValidity(chunks: readonly arrow.Data[], total: number): Validity | null {
  if (chunks.every((c) => c.nullCount === 0)) return null;
  const out = new Validity(total);
  const bits = out.bits;
  let pos = 0;
  for (const c of chunks) {
    if (c.nullCount === 0) {
      for (let i = 0; i < c.length; i++, pos++) bits[pos >> 3] |= 1 << (pos & 7);
    } else {
      const src = c.nullBitmap as Uint8Array;
      const off = c.offset;
      for (let i = 0; i < c.length; i++, pos++) {
        const p = off + i;
        if ((src[p >> 3] >> (p & 7)) & 1) bits[pos >> 3] |= 1 << (pos & 7);
        else out.nulls++;
      }
    }
  }
  return out;
}

/** @internal Concatenates Data chunks of one type into one chunk. */
export function concatData(type: arrow.DataType, chunks: readonly arrow.Data[]): arrow.Data {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length === 0) return emptyData(type);
  let total = 0;
  for (const c of chunks) total += c.length;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: total });
  const valid = concatValidity(chunks, total);
  const nullCount = valid ? valid.nulls : 0;
  const nullBitmap = valid && valid.nulls > 0 ? valid.bits : undefined;
  if (isFixedWidth(type)) {
    const stride = chunks[0].stride;
    const Ctor = (chunks[0].values as TypedArray).constructor as TypedArrayCtor;
    const out = new Ctor(total * stride) as Float64Array;
    let pos = 0;
    for (const c of chunks) {
      out.set((c.values as Float64Array).subarray(0, c.length * stride), pos);
      pos += c.length * stride;
    }
    return new arrow.Data(type, 0, total, nullCount, [undefined, out, nullBitmap] as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const out = new Uint8Array((total + 7) >> 3);
      let pos = 0;
      for (const c of chunks) {
        const src = c.values as Uint8Array;
        const off = c.offset;
        for (let i = 0; i < c.length; i++, pos++) {
          const p = off + i;
          if ((src[p >> 3] >> (p & 7)) & 1) out[pos >> 3] |= 1 << (pos & 7);
        }
      }
      return arrow.makeData({ type: type as arrow.Bool, length: total, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      let bytes = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        bytes += o[c.length] - o[0];
      }
      const out = new Uint8Array(bytes);
      const offsets = new Int32Array(total + 1);
      let pos = 0;
      let row = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        const base = o[0];
        out.set((c.values as Uint8Array).subarray(base, o[c.length]), pos);
        for (let i = 1; i <= c.length; i++) offsets[row + i] = o[i] - base + pos;
        pos += o[c.length] - base;
        row += c.length;
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: total, nullCount, nullBitmap, valueOffsets: offsets, data: out });
    }
    case arrow.Type.List: {
      const offsets = new Int32Array(total + 1);
      const childChunks: arrow.Data[] = [];
      let pos = 0;
      let row = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        const base = o[0];
        childChunks.push(c.children[0].slice(base, o[c.length] - base));
        for (let i = 1; i <= c.length; i++) offsets[row + i] = o[i] - base + pos;
        pos += o[c.length] - base;
        row += c.length;
      }
      const child = concatData((type as arrow.List).children[0].type, childChunks);
      return arrow.makeData({ type: type as arrow.List, length: total, nullCount, nullBitmap, valueOffsets: offsets, child });
    }
    case arrow.Type.Struct: {
      const children = (type as arrow.Struct).children.map((f, i) => concatData(f.type, chunks.map((c) => c.children[i])));
      return arrow.makeData({ type: type as arrow.Struct, length: total, nullCount, nullBitmap, children });
    }
    default: {
      const readers = chunks.map(dataReader);
      const starts: number[] = [];
      let s = 0;
      for (const c of chunks) { starts.push(s); s += c.length; }
      let ci = 0;
      return writeWithBuilder(type, total, (i) => {
        while (i >= starts[ci] + chunks[ci].length) ci++;
        return readers[ci](i - starts[ci]);
      }, { where: "concatRecordBatches", path: "", rowOf: (i) => i });
    }
  }
}

/** @internal An empty (0-row) Data chunk of a type. */
export function emptyData(type: arrow.DataType): arrow.Data {
  return buildData(type, 0, () => null, { where: "emptyRecordBatch", path: "", rowOf: (i) => i });
}

function checkColumns(schema: arrow.Schema, types: readonly arrow.DataType[], where: string, what: string): void {
  if (types.length !== schema.fields.length) {
    throw new SchemaError({
      code: "BL_SCHEMA_MISMATCH",
      domain: "internal",
      where,
      value: types.map(String),
      rule: `${what} has ${types.length} columns but the schema ${describeSchemaFields(schema)} has ${schema.fields.length}`,
      fix: "pass one column per schema field, in schema order",
    });
  }
  for (let i = 0; i < types.length; i++) {
    if (!arrow.util.compareTypes(types[i], schema.fields[i].type)) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        domain: "internal",
        where,
        value: describeType(types[i]),
        rule: `${what}: column ${i} ("${schema.fields[i].name}") has type ${describeType(types[i])} but the schema says ${describeType(schema.fields[i].type)}`,
        fix: "build the column with the schema's type, or change the schema",
      });
    }
  }
}

function describeSchemaFields(schema: arrow.Schema): string {
  return describeType(new arrow.Struct(schema.fields));
}

/** Concatenates batches of one schema into one batch whose columns are each a single Data chunk. Keeps `schema`. */
export function concatRecordBatches(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): arrow.RecordBatch {
  if (batches.length === 1 && batches[0].schema === schema) return batches[0];
  for (let b = 0; b < batches.length; b++) {
    checkColumns(schema, batches[b].data.children.map((c) => c.type), "concatRecordBatches", `batch ${b}`);
  }
  let total = 0;
  for (const b of batches) total += b.numRows;
  const children = schema.fields.map((f, i) => concatData(f.type, batches.map((b) => b.data.children[i])));
  return makeRecordBatch(schema, children, total);
}

/** A batch with no rows whose columns have the schema's types. Keeps `schema`. */
export function emptyRecordBatch(schema: arrow.Schema): arrow.RecordBatch {
  return makeRecordBatch(schema, schema.fields.map((f) => emptyData(f.type)), 0);
}

/** Assembles a batch from one vector per schema field (multi-chunk vectors are combined); all must have equal length. Keeps `schema`. */
export function recordBatchFromColumns(schema: arrow.Schema, columns: readonly arrow.Vector[]): arrow.RecordBatch {
  checkColumns(schema, columns.map((c) => c.type), "recordBatchFromColumns", "the column list");
  const length = columns.length ? columns[0].length : 0;
  for (let i = 0; i < columns.length; i++) {
    if (columns[i].length !== length) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        domain: "internal",
        where: "recordBatchFromColumns",
        value: columns.map((c) => c.length),
        rule: `column ${i} ("${schema.fields[i].name}") has ${columns[i].length} rows but column 0 has ${length}`,
        fix: "pass columns of equal length",
      });
    }
  }
  return makeRecordBatch(schema, columns.map(singleData), length);
}
