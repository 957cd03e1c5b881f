/**
 * Byte streams for Beam's coders: a growable writer and a reader with the primitive encodings the
 * standard coders use (varints, big-endian fixed-width integers and doubles),
 * and Beam's instant encoding of timestamps.
 */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { RunnerProtocolError } from "../model/errors";

/** The error of bytes that do not decode as their coder says: `rule` says what was wrong, `value` what was read. */
export function malformedBytes(rule: string, value?: unknown): RunnerProtocolError {
  return new RunnerProtocolError({
    code: "BL_MALFORMED_ENCODING",
    ...(value !== undefined ? { value } : {}),
    rule,
    fix: "the runner sent bytes another coder wrote, or cut them short: check that every worker runs the same Beamline version and see the runner's log",
  });
}

const TS_MIN = -9223372036854775n;
const TS_MAX = 9223372036854775n;
/** The end of the global window in ms: Beam's maximum less one day. */
const TS_GLOBAL_MAX = TS_MAX - 86_400_000n;
const SIGN = 1n << 63n;

/**
 * The exact Beam instant of a timestamp in ms. Beam's bounds lie beyond 2^53, where float64 ms are
 * not exact: values at (or rounded to) the bounds map to the exact bounds.
 */
export function instantOf(ms: number): bigint {
  if (ms <= MIN_TIMESTAMP) return TS_MIN;
  if (ms >= MAX_TIMESTAMP) return TS_MAX;
  if (ms === GLOBAL_WINDOW_MAX_TIMESTAMP) return TS_GLOBAL_MAX;
  if (ms === GLOBAL_WINDOW_MAX_TIMESTAMP + 1) return TS_GLOBAL_MAX + 1n;
  return BigInt(Math.floor(ms));
}

/** 2^32, the weight of an int64's high word. */
const HIGH = 4294967296;
/** Beyond this many ms (2^53), timestamps are not exact doubles; Beam's bounds lie there. */
const SAFE = 2 ** 53;

/**
 * Writes a timestamp (ms) as Beam's instant: big-endian int64 with the sign bit flipped. Every
 * timestamp whose ms are below 2^53 in magnitude (all but Beam's bounds) is written from two 32-bit
 * words, without a BigInt.
 */
export function writeTimestamp(w: ByteWriter, ms: number): void {
  const f = Math.floor(ms);
  if (f > -SAFE && f < SAFE) return w.flippedInt64(f);
  w.int64(BigInt.asIntN(64, BigInt.asUintN(64, instantOf(ms)) ^ SIGN));
}

/** Reads Beam's instant encoding as ms, mapping Beam's bounds to Beamline's constants. */
export function readTimestamp(r: ByteReader): number {
  const fast = r.flippedInt64();
  if (fast !== null) return fast;
  const v = BigInt.asIntN(64, BigInt.asUintN(64, r.int64()) ^ SIGN);
  if (v <= TS_MIN) return MIN_TIMESTAMP;
  if (v >= TS_MAX) return MAX_TIMESTAMP;
  if (v === TS_GLOBAL_MAX) return GLOBAL_WINDOW_MAX_TIMESTAMP;
  if (v === TS_GLOBAL_MAX + 1n) return GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
  return Number(v);
}

/** Appends bytes to a growable buffer. */
export class ByteWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** One byte. */
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** An unsigned varint of a non-negative safe integer, or a signed 64-bit value as two's complement. */
  varint(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v <= 0x7fffffff) {
      this.reserve(5);
      while (v > 0x7f) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.reserve(10);
    while (u > 0x7fn) {
      this.buf[this.len++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.len++] = Number(u);
  }

  /** A big-endian signed 32-bit integer. */
  int32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32BE(v, this.len);
    this.len += 4;
  }

  /** A big-endian 16-bit integer. */
  int16(v: number): void {
    this.reserve(2);
    this.buf.writeInt16BE(v, this.len);
    this.len += 2;
  }

  /** A big-endian 64-bit integer with its sign bit flipped (Beam's instant), of an integer below 2^53 in magnitude. */
  flippedInt64(v: number): void {
    this.reserve(8);
    const hi = Math.floor(v / HIGH);
    this.buf.writeUInt32BE((hi ^ 0x80000000) >>> 0, this.len);
    this.buf.writeUInt32BE(v - hi * HIGH, this.len + 4);
    this.len += 8;
  }

  /** A big-endian 64-bit integer. */
  int64(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.len);
    this.len += 8;
  }

  /** A big-endian IEEE-754 double. */
  double(v: number): void {
    this.reserve(8);
    this.buf.writeDoubleBE(v, this.len);
    this.len += 8;
  }

  /** A big-endian IEEE-754 float. */
  float(v: number): void {
    this.reserve(4);
    this.buf.writeFloatBE(v, this.len);
    this.len += 4;
  }

  /** A copy of the bytes written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** Forgets what was written. */
  reset(): void {
    this.len = 0;
  }
}

/** Reads the primitive encodings from a byte array. */
export class ByteReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** Whether every byte was read. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Bytes left. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw malformedBytes(`a coder read past the end of its bytes: it needs ${n} byte(s) at offset ${this.pos} of ${this.buf.length}`, n);
  }

  /** One byte. */
  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** `n` raw bytes (a view). */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** The rest of the bytes (a view). */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** An unsigned varint as a bigint (64 bits). */
  varbig(): bigint {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
      if (shift > 63n) throw malformedBytes("a varint is longer than 64 bits", v);
    }
  }

  /** A varint as a signed 64-bit value: a number when safe, else a bigint. */
  varint(): number | bigint {
    // Fast path: up to 4 bytes.
    let v = 0;
    const start = this.pos;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v >>> 0;
    }
    this.pos = start;
    const s = BigInt.asIntN(64, this.varbig());
    return s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
  }

  /** A varint that must be a non-negative safe integer (a length or count). */
  length(): number {
    const v = this.varint();
    if (typeof v !== "number" || v < 0) throw malformedBytes("a length or count must be a non-negative safe integer", v);
    return v;
  }

  /** A big-endian signed 32-bit integer. */
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A big-endian signed 16-bit integer. */
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /**
   * A big-endian 64-bit integer with its sign bit flipped (Beam's instant) as a number, when it lies in
   * [-2^53, 2^53); null, reading nothing, when it does not (read it with {@link int64}).
   */
  flippedInt64(): number | null {
    this.need(8);
    const hi = (this.buf.readUInt32BE(this.pos) ^ 0x80000000) | 0;
    if (hi < -0x200000 || hi >= 0x200000) return null;
    const v = hi * HIGH + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** A big-endian signed 64-bit integer. */
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A big-endian double. */
  double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A big-endian float. */
  float(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }
}
