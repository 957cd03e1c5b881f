/** Writers of number columns: floats, small integers, and 64-bit integers and timestamps. */
import * as arrow from "apache-arrow";
import type { SchemaError } from "../errors";
import { describeType } from "../schema";
import type { ValueReader } from "./plain-values";
import { int32Words, LITTLE_ENDIAN, type TypedArrayCtor } from "./typed-arrays";
import { Validity } from "./validity";
import { declared, kindName, mismatch, type WriteContext } from "./write-context";

// 2^32, the weight of a 64-bit integer's high word; a module-local constant the per-row loops fold in.
const TWO_32 = 4294967296;

const INT64_MIN = -9223372036854775808; // exactly -2^63 as a double
const INT64_LIMIT = 9223372036854775808; // exactly 2^63

/** @internal Writes float32/float64 columns from numbers. */
export function writeFloat(type: arrow.Float, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
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

/** @internal Writes integer columns of up to 32 bits from integral numbers in range. */
export function writeSmallInt(type: arrow.Int, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
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
export function writeInt64(type: arrow.Int | arrow.Timestamp, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
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
