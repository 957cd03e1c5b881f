/** The comparison kernel: eq, ne, lt, le, gt, ge. */
import { allNull, andMask, type Col } from "./evaluated";

/** Compares bytes [s1, e1) of `a` with [s2, e2) of `b`: negative, zero or positive. */
function compareBytes(a: Uint8Array, s1: number, e1: number, b: Uint8Array, s2: number, e2: number): number {
  const l1 = e1 - s1;
  const l2 = e2 - s2;
  const l = l1 < l2 ? l1 : l2;
  for (let k = 0; k < l; k++) {
    const d = a[s1 + k] - b[s2 + k];
    if (d !== 0) return d;
  }
  return l1 - l2;
}

/** @internal Compares two columns row by row: numbers as numbers, strings by UTF-8 bytes; null where either is null. */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", ca: Col, cb: Col, n: number): Col {
  if (ca.k === "null" || cb.k === "null") return { k: "bool", v: new Uint8Array(n), valid: allNull(n) };
  const v = new Uint8Array(n);
  const valid = andMask(ca.valid, cb.valid, n);
  if (ca.k === "str" && cb.k === "str") {
    const ab = ca.bytes, bb = cb.bytes, ao = ca.off, bo = cb.off;
    const equality = op === "eq" || op === "ne";
    for (let i = 0; i < n; i++) {
      const s1 = ao ? ao[i] : 0, e1 = ao ? ao[i + 1] : ab.length;
      const s2 = bo ? bo[i] : 0, e2 = bo ? bo[i + 1] : bb.length;
      if (equality && e1 - s1 !== e2 - s2) { v[i] = op === "ne" ? 1 : 0; continue; }
      const c = compareBytes(ab, s1, e1, bb, s2, e2);
      v[i] = (op === "eq" ? c === 0 : op === "ne" ? c !== 0 : op === "lt" ? c < 0 : op === "le" ? c <= 0 : op === "gt" ? c > 0 : c >= 0) ? 1 : 0;
    }
    return { k: "bool", v, valid };
  }
  const x = ca.k === "num" || ca.k === "bool" ? ca.v : new Float64Array(n);
  const y = cb.k === "num" || cb.k === "bool" ? cb.v : new Float64Array(n);
  switch (op) {
    case "eq": for (let i = 0; i < n; i++) v[i] = x[i] === y[i] ? 1 : 0; break;
    case "ne": for (let i = 0; i < n; i++) v[i] = x[i] !== y[i] ? 1 : 0; break;
    case "lt": for (let i = 0; i < n; i++) v[i] = x[i] < y[i] ? 1 : 0; break;
    case "le": for (let i = 0; i < n; i++) v[i] = x[i] <= y[i] ? 1 : 0; break;
    case "gt": for (let i = 0; i < n; i++) v[i] = x[i] > y[i] ? 1 : 0; break;
    case "ge": for (let i = 0; i < n; i++) v[i] = x[i] >= y[i] ? 1 : 0; break;
  }
  return { k: "bool", v, valid };
}
