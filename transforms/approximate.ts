/**
 * Approximate aggregations. `approxCountDistinct` is a HyperLogLog sketch: 2^p one-byte registers fed
 * by a 64-bit hash, read with Ertl's improved estimator (no bias tables, accurate from a handful of
 * values to billions). Sketches merge by a register-wise maximum, so partial counts combine exactly as
 * if all values had gone into one sketch. The standard error is about 1.04 / sqrt(2^p).
 */
import * as arrow from "apache-arrow";
import type { CombineFn } from "../sdk/combine";
import { PipelineConstructionError } from "../sdk/errors";
import type { Aggregation } from "./combiners";

/** Options of {@link approxCountDistinct}. */
export interface ApproxCountDistinctOptions {
  /** log2 of the number of registers, 4 to 18. Default 12 (4 KiB per sketch, about 1.6% standard error). */
  readonly precision?: number;
}

/** A HyperLogLog sketch: the precision and its 2^p registers. */
export interface HllSketch {
  readonly p: number;
  readonly registers: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Hashing: two 32-bit murmur3-style lanes over 32-bit words, finalised with fmix32 → 64 bits.
// ---------------------------------------------------------------------------------------------

// Globals read once: inside a vm context (as under jest) every read of a global such as `Math` is slow.
const imul = Math.imul;
const clz32 = Math.clz32;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
let h1 = 0;
let h2 = 0;

function mixWord(k: number): void {
  let a = imul(k, C1);
  a = (a << 15) | (a >>> 17);
  a = imul(a, C2);
  h1 ^= a;
  h1 = (h1 << 13) | (h1 >>> 19);
  h1 = (imul(h1, 5) + 0xe6546b64) | 0;
  let b = imul(k ^ 0x5bd1e995, C2);
  b = (b << 17) | (b >>> 15);
  b = imul(b, C1);
  h2 ^= b;
  h2 = (h2 << 11) | (h2 >>> 21);
  h2 = (imul(h2, 9) + 0x38495ab5) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function start(tag: number): void {
  h1 = 0x9747b28c ^ tag;
  h2 = 0x2f2a1b3d ^ imul(tag, 0x27d4eb2d);
}

function finish(len: number): void {
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
}

const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

function hashString(s: string, tag: number): void {
  start(tag);
  const len = s.length;
  let i = 0;
  for (; i + 1 < len; i += 2) mixWord(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < len) mixWord(s.charCodeAt(i) | 0x10000);
  finish(len);
}

function hashBytes(bytes: Uint8Array, tag: number): void {
  start(tag);
  const len = bytes.length;
  let i = 0;
  for (; i + 3 < len; i += 4) mixWord(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
  let k = 0x1000000;
  for (let s = 0; i < len; i++, s += 8) k ^= bytes[i] << s;
  mixWord(k);
  finish(len);
}

/** Sets the hash lanes `h1`, `h2` for a value; equal values (and numbers equal as numbers) hash equally. */
function hashValue(v: unknown): void {
  switch (typeof v) {
    case "number": {
      start(1);
      f64[0] = v === 0 ? 0 : v; // -0 and 0 are one value
      mixWord(f64Words[0]);
      mixWord(f64Words[1]);
      finish(8);
      return;
    }
    case "string":
      hashString(v, 2);
      return;
    case "boolean":
      start(v ? 3 : 4);
      finish(0);
      return;
    case "bigint":
      if (Number.isSafeInteger(Number(v))) return hashValue(Number(v)); // int64 columns read as numbers when safe
      hashString(v.toString(), 5);
      return;
    default:
      if (v instanceof Uint8Array) return hashBytes(v, 6);
      if (v instanceof Date) return hashValue(v.getTime());
      hashString(
        JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? Array.from(x) : x)) ?? String(v),
        7,
      );
  }
}

/** @internal The 64-bit hash of a value as two unsigned 32-bit words (for tests of hash quality). */
export function hash64(v: unknown): [number, number] {
  hashValue(v);
  return [h1 >>> 0, h2 >>> 0];
}

// ---------------------------------------------------------------------------------------------
// The sketch
// ---------------------------------------------------------------------------------------------

/** A fresh, empty sketch with 2^p registers. */
export function hllCreate(p: number): HllSketch {
  return { p, registers: new Uint8Array(1 << p) };
}

/** Adds one value (nulls are ignored); mutates and returns the sketch. */
export function hllAdd(s: HllSketch, v: unknown): HllSketch {
  if (v === null || v === undefined) return s;
  hashValue(v);
  const p = s.p;
  const hi = h1 >>> 0;
  const idx = hi >>> (32 - p);
  const w = (hi << p) >>> 0;
  // The rank: 1 + the number of leading zeros of the 64 - p hash bits after the index.
  const rank = w !== 0 ? clz32(w) + 1 : 32 - p + clz32(h2 >>> 0) + 1;
  if (rank > s.registers[idx]) s.registers[idx] = rank;
  return s;
}

/** Merges sketches of one precision into the first (register-wise maximum). */
export function hllMerge(sketches: readonly HllSketch[]): HllSketch {
  const out = sketches[0];
  for (let k = 1; k < sketches.length; k++) {
    const s = sketches[k];
    if (s.p !== out.p) {
      throw new PipelineConstructionError({
        code: "BL_HLL_PRECISION",
        value: [out.p, s.p],
        rule: "only HyperLogLog sketches of the same precision can be merged",
        fix: "use one precision for every approxCountDistinct whose results are combined",
      });
    }
    const a = out.registers;
    const b = s.registers;
    for (let j = 0; j < a.length; j++) if (b[j] > a[j]) a[j] = b[j];
  }
  return out;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === prev) return z / 3;
  }
}

/** The estimated number of distinct values (Ertl's improved estimator, rounded). */
export function hllEstimate(s: HllSketch): number {
  const m = s.registers.length;
  const q = 64 - s.p;
  const c = new Float64Array(q + 2);
  for (let j = 0; j < m; j++) c[s.registers[j]]++;
  let z = m * tau(1 - c[q + 1] / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + c[k]);
  z += m * sigma(c[0] / m);
  if (!Number.isFinite(z)) return 0;
  return Math.round((m * m) / (2 * Math.LN2) / z);
}

/**
 * Approximately counts the distinct values of a field (or of whole elements) with a HyperLogLog
 * sketch: an int64 per group, about 1.04/sqrt(2^precision) relative standard error. Nulls are not counted.
 * @example groupBy("page").aggregate({ visitors: approxCountDistinct("userId", { precision: 14 }) })
 */
export function approxCountDistinct(field: string | null = null, options: ApproxCountDistinctOptions = {}): Aggregation<number> {
  const p = options.precision ?? 12;
  if (!Number.isInteger(p) || p < 4 || p > 18) {
    throw new PipelineConstructionError({
      code: "BL_HLL_PRECISION",
      value: p,
      rule: "the precision of approxCountDistinct must be an integer from 4 to 18",
      fix: "pass e.g. { precision: 14 } (about 0.8% error, 16 KiB per group)",
    });
  }
  const fn: CombineFn<unknown, HllSketch, number> = {
    createAccumulator: () => hllCreate(p),
    addInput: hllAdd,
    mergeAccumulators: (accs) => (accs.length === 0 ? hllCreate(p) : hllMerge(accs)),
    extractOutput: hllEstimate,
    outputType: () => new arrow.Int64(),
  };
  return { field, fn };
}
