/** int64 columns as doubles and back, through 32-bit words, without a BigInt per row. */
import * as arrow from "apache-arrow";
import { UserCodeError } from "../../sdk/errors";
import { describeType } from "../../sdk/schema";
import type { Env, Mask } from "./evaluated";

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @internal 64-bit integers as doubles, read as 32-bit words (no BigInt per row), scaled by `scale`. */
export function int64Doubles(values: BigInt64Array | BigUint64Array, n: number, signed: boolean, scale = 1): Float64Array {
  const out = new Float64Array(n);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++) out[i] = Number(values[i]) * scale;
    return out;
  }
  const w = new Int32Array(values.buffer, values.byteOffset, n * 2);
  if (signed) for (let i = 0; i < n; i++) out[i] = (w[2 * i + 1] * TWO_32 + (w[2 * i] >>> 0)) * scale;
  else for (let i = 0; i < n; i++) out[i] = ((w[2 * i + 1] >>> 0) * TWO_32 + (w[2 * i] >>> 0)) * scale;
  return out;
}

function overflow(env: Env, row: number, x: number, type: arrow.DataType): UserCodeError {
  return new UserCodeError({
    code: "BL_EXPR_OVERFLOW",
    where: `${env.where}, expression ${env.expr}`,
    value: x,
    rule: `row ${row}: the result does not fit in ${describeType(type)}`,
    fix: 'cast an operand to "float64" first, e.g. col(…).cast("float64")',
  });
}

/** Integral doubles → int64 values, written as 32-bit words (no BigInt per row). */
export function int64Values(x: Float64Array, mask: Mask, n: number, type: arrow.DataType, env: Env): BigInt64Array {
  const out = new BigInt64Array(n);
  const w = LITTLE_ENDIAN ? new Int32Array(out.buffer, 0, n * 2) : null;
  for (let i = 0; i < n; i++) {
    if (mask !== null && !mask[i]) continue;
    const v = x[i];
    if (!(v >= -9223372036854775808 && v < 9223372036854775808)) throw overflow(env, i, v, type);
    if (w !== null && Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      w[2 * i] = v - hi * TWO_32;
      w[2 * i + 1] = hi;
    } else {
      out[i] = BigInt(v);
    }
  }
  return out;
}
