/** The cast kernel: numbers, strings, bools and timestamps to float64, int32, int64, string or bool. */
import { UserCodeError } from "../../sdk/errors";
import { bufferOf } from "./bytes";
import type { Col, Env } from "./evaluated";
import type { CastType } from "./node";
import { StrBuilder } from "./str-builder";

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(["true", "t", "yes", "y", "1"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "0"]);

function castError(env: Env, row: number, value: unknown, to: CastType, why: string, fix: string): UserCodeError {
  return new UserCodeError({
    code: "BL_EXPR_CAST",
    where: `${env.where}, expression ${env.expr}`,
    value,
    rule: `row ${row}: cannot cast this value to ${to}: ${why}`,
    fix,
  });
}

function parseNumber(text: string): number {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s);
  if (s === "NaN") return NaN;
  if (s === "Infinity" || s === "+Infinity") return Infinity;
  if (s === "-Infinity") return -Infinity;
  return NaN;
}

/** @internal Converts a column to another type; a value that cannot convert fails the run, naming its row. */
export function cast(c: Col, to: CastType, n: number, env: Env): Col {
  if (c.k === "null") return { k: "null" };
  if (c.k === "raw") throw new Error("internal: cast of a column the type check refused");
  const m = c.valid;
  const present = (i: number) => m === null || m[i] === 1;
  if (to === "string") {
    if (c.k === "str") return c;
    const out = new StrBuilder(n, n * 8);
    for (let i = 0; i < n; i++) {
      if (present(i)) {
        if (c.k === "bool") out.writeString(c.v[i] ? "true" : "false");
        else if (c.cat === "ts") out.writeString(isoString(c.v[i]));
        else out.writeString(String(c.v[i]));
      }
      out.end(i);
    }
    return out.finish(m);
  }
  if (to === "bool") {
    if (c.k === "bool") return c;
    const v = new Uint8Array(n);
    if (c.k === "num") {
      for (let i = 0; i < n; i++) {
        if (!present(i)) continue;
        const x = c.v[i];
        if (Number.isNaN(x)) throw castError(env, i, x, to, "NaN is neither true nor false", "filter NaN rows first, or compare explicitly, e.g. .ne(0)");
        v[i] = x !== 0 ? 1 : 0;
      }
      return { k: "bool", v, valid: m };
    }
    const buf = bufferOf(c.bytes);
    for (let i = 0; i < n; i++) {
      if (!present(i)) continue;
      const s = c.off ? c.off[i] : 0;
      const e = c.off ? c.off[i + 1] : c.bytes.length;
      const word = buf.toString("utf8", s, e).trim().toLowerCase();
      if (TRUE_WORDS.has(word)) v[i] = 1;
      else if (!FALSE_WORDS.has(word)) {
        throw castError(env, i, buf.toString("utf8", s, e), to, "it is not one of true/false, t/f, yes/no, y/n, 1/0", "filter such rows first with where(...), or compare the string instead, e.g. .eq(\"on\")");
      }
    }
    return { k: "bool", v, valid: m };
  }
  // Numeric targets.
  let x: Float64Array;
  if (c.k === "num") x = c.v;
  else if (c.k === "bool") x = Float64Array.from(c.v);
  else {
    x = new Float64Array(n);
    const buf = bufferOf(c.bytes);
    for (let i = 0; i < n; i++) {
      if (!present(i)) continue;
      const s = c.off ? c.off[i] : 0;
      const e = c.off ? c.off[i + 1] : c.bytes.length;
      const text = buf.toString("utf8", s, e);
      const y = parseNumber(text);
      if (Number.isNaN(y) && text.trim() !== "NaN") {
        throw castError(env, i, text, to, "it is not a decimal number", "filter such rows first with where(...), e.g. where(col(…).ne(\"\")), or keep the column as a string");
      }
      x[i] = y;
    }
  }
  if (to === "float64") return { k: "num", cat: "float", v: x, valid: m };
  const [lo, hi] = to === "int32" ? [-2147483648, 2147483647] : [-9223372036854775808, 9223372036854775807];
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!present(i)) continue;
    const y = Math.trunc(x[i]) + 0;
    if (!(y >= lo && (to === "int32" ? y <= hi : y < 9223372036854775808))) {
      throw castError(env, i, x[i], to, Number.isFinite(x[i]) ? `it is outside the ${to} range [${lo}, ${to === "int32" ? hi : "9223372036854775807"}]` : "it is not finite",
        to === "int32" ? 'cast to "int64" or "float64" instead, or filter such rows first' : 'cast to "float64" instead, or filter such rows first');
    }
    v[i] = y;
  }
  return { k: "num", cat: "int", v, valid: m };
}

function isoString(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
