/** The arithmetic kernel: add, sub, mul, div, mod. */
import { andMask, freshMask, type Col, type NumCol } from "./evaluated";

/** @internal Arithmetic on two number columns; division and modulo by zero give null. */
export function arith(op: "add" | "sub" | "mul" | "div" | "mod", a: NumCol, b: NumCol, n: number): Col {
  const x = a.v;
  const y = b.v;
  const v = new Float64Array(n);
  const cat = op === "div" || a.cat === "float" || b.cat === "float" ? "float" : "int";
  switch (op) {
    case "add": for (let i = 0; i < n; i++) v[i] = x[i] + y[i]; break;
    case "sub": for (let i = 0; i < n; i++) v[i] = x[i] - y[i]; break;
    case "mul": for (let i = 0; i < n; i++) v[i] = x[i] * y[i]; break;
    case "div": case "mod": {
      // Division by zero gives null: the validity mask is copied and cleared there.
      let valid: Uint8Array | null = null;
      const base = andMask(a.valid, b.valid, n);
      for (let i = 0; i < n; i++) {
        const d = y[i];
        if (d === 0) {
          if (valid === null) valid = freshMask(base, n);
          valid[i] = 0;
        } else {
          v[i] = op === "div" ? x[i] / d : x[i] % d;
        }
      }
      return { k: "num", cat, v, valid: valid ?? base };
    }
  }
  return { k: "num", cat, v, valid: andMask(a.valid, b.valid, n) };
}
