/** Rebuilding an expression from its JSON form, validating every node. */
import type { PipelineConstructionError } from "../../sdk/errors";
import { Expr } from "./expr";
import { badExpr } from "./invalid-expr";
import { ARITH, CAST_TYPES, COMPARE, LOGIC, UNARY, type BinaryOp, type CastType, type ExprNode, type LiteralValue, type UnaryOp } from "./node";

/** Rebuilds an expression from its JSON form (as found in a payload), validating it. */
export function exprFromJson(json: unknown): Expr {
  return new Expr(validateNode(json, "$"));
}

function validateNode(j: unknown, path: string): ExprNode {
  const bad = (rule: string): PipelineConstructionError => badExpr(j, `${path}: ${rule}`, "build expressions with col(), lit() and when(), and pass their toJSON() form", "exprFromJson");
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw bad("an expression node must be an object with an op");
  const o = j as Record<string, unknown>;
  const sub = (x: unknown, p: string) => validateNode(x, `${path}.${p}`);
  const str = (k: string): string => {
    if (typeof o[k] !== "string") throw bad(`"${k}" must be a string`);
    return o[k] as string;
  };
  const op = o.op;
  if (op === "col") return { op, name: str("name") };
  if (op === "lit") {
    const v = o.value;
    if (!(v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) throw bad("a literal's value must be a finite number, a string, a boolean or null");
    return { op, value: v as LiteralValue };
  }
  if (op === "alias") return { op, name: str("name"), arg: sub(o.arg, "arg") };
  if (typeof op === "string" && UNARY.includes(op)) return { op: op as UnaryOp, arg: sub(o.arg, "arg") };
  if (typeof op === "string" && [...ARITH, ...COMPARE, ...LOGIC].includes(op)) {
    if (!Array.isArray(o.args) || o.args.length !== 2) throw bad(`"${op}" needs args: [left, right]`);
    return { op: op as BinaryOp, args: [sub(o.args[0], "args[0]"), sub(o.args[1], "args[1]")] };
  }
  if (op === "coalesce" || op === "concat") {
    if (!Array.isArray(o.args) || o.args.length < (op === "coalesce" ? 2 : 1)) throw bad(`"${op}" needs an args array`);
    return { op, args: o.args.map((a, i) => sub(a, `args[${i}]`)) };
  }
  if (op === "contains" || op === "startsWith") return { op, arg: sub(o.arg, "arg"), pattern: str("pattern") };
  if (op === "cast") {
    if (!CAST_TYPES.includes(o.to as string)) throw bad(`"to" must be one of ${CAST_TYPES.join(", ")}`);
    return { op, arg: sub(o.arg, "arg"), to: o.to as CastType };
  }
  if (op === "when") {
    if (!Array.isArray(o.cases) || o.cases.length === 0) throw bad('"when" needs a non-empty cases array');
    return {
      op,
      cases: o.cases.map((c: unknown, i: number) => {
        if (typeof c !== "object" || c === null) throw bad(`cases[${i}] must be { if, then }`);
        const cc = c as Record<string, unknown>;
        return { if: sub(cc.if, `cases[${i}].if`), then: sub(cc.then, `cases[${i}].then`) };
      }),
      else: sub(o.else, "else"),
    };
  }
  throw bad(`unknown op ${JSON.stringify(op)}`);
}
