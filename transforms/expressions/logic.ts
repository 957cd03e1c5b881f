/** The three-valued logic kernel: and, or. */
import type { BoolCol, Col } from "./evaluated";

/** Three-valued and/or: a definite false (and) or true (or) decides even when the other side is null. */
export function logic(op: "and" | "or", a: BoolCol, b: BoolCol, n: number): Col {
  const v = new Uint8Array(n);
  if (a.valid === null && b.valid === null) {
    if (op === "and") for (let i = 0; i < n; i++) v[i] = a.v[i] & b.v[i];
    else for (let i = 0; i < n; i++) v[i] = a.v[i] | b.v[i];
    return { k: "bool", v, valid: null };
  }
  const valid = new Uint8Array(n);
  const am = a.valid, bm = b.valid;
  const decisive = op === "and" ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const av = am === null ? 1 : am[i];
    const bv = bm === null ? 1 : bm[i];
    if ((av && a.v[i] === decisive) || (bv && b.v[i] === decisive)) {
      v[i] = decisive;
      valid[i] = 1;
    } else if (av && bv) {
      v[i] = 1 - decisive;
      valid[i] = 1;
    }
  }
  return { k: "bool", v, valid };
}
