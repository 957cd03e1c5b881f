/** Evaluating an expression: each node's operands first, then its kernel. */
import { arith } from "./arith";
import { cast } from "./cast";
import { compare } from "./compare";
import { asBool, asNum, asStr, type Col, type Env } from "./evaluated";
import { gather } from "./gather";
import { logic } from "./logic";
import type { ExprNode } from "./node";
import { literal, readColumn } from "./operands";
import { changeCase, concat, search, utf8Length } from "./string-kernels";

/** @internal Evaluates an expression a column at a time over a batch. */
export function evaluate(node: ExprNode, env: Env): Col {
  const n = env.n;
  switch (node.op) {
    case "col": {
      const i = env.index.get(node.name)!;
      return readColumn(env.batch.data.children[i], n);
    }
    case "lit": return literal(node.value, n);
    case "alias": return evaluate(node.arg, env);
    case "add": case "sub": case "mul": case "div": case "mod":
      return arith(node.op, asNum(evaluate(node.args[0], env), n), asNum(evaluate(node.args[1], env), n), n);
    case "neg": {
      const a = asNum(evaluate(node.arg, env), n);
      const v = new Float64Array(n);
      const x = a.v;
      for (let i = 0; i < n; i++) v[i] = -x[i] + 0;
      return { k: "num", cat: a.cat === "float" ? "float" : "int", v, valid: a.valid };
    }
    case "eq": case "ne": case "lt": case "le": case "gt": case "ge":
      return compare(node.op, evaluate(node.args[0], env), evaluate(node.args[1], env), n);
    case "and": case "or":
      return logic(node.op, asBool(evaluate(node.args[0], env), n), asBool(evaluate(node.args[1], env), n), n);
    case "not": {
      const a = asBool(evaluate(node.arg, env), n);
      const v = new Uint8Array(n);
      for (let i = 0; i < n; i++) v[i] = a.v[i] ^ 1;
      return { k: "bool", v, valid: a.valid };
    }
    case "isNull": case "isNotNull": {
      const a = evaluate(node.arg, env);
      const present = node.op === "isNotNull" ? 1 : 0;
      const v = new Uint8Array(n);
      if (a.k === "null") v.fill(1 - present);
      else if (a.valid === null) v.fill(present);
      else for (let i = 0; i < n; i++) v[i] = present ? a.valid[i] : a.valid[i] ^ 1;
      return { k: "bool", v, valid: null };
    }
    case "coalesce": {
      const args = node.args.map((a) => evaluate(a, env));
      const src = new Int32Array(n).fill(-1);
      for (let j = args.length - 1; j >= 0; j--) {
        const a = args[j];
        if (a.k === "null") continue;
        const m = a.valid;
        if (m === null) src.fill(j);
        else for (let i = 0; i < n; i++) if (m[i]) src[i] = j;
      }
      return gather(args, src, n);
    }
    case "when": {
      const conds = node.cases.map((c) => asBool(evaluate(c.if, env), n));
      const values = [...node.cases.map((c) => evaluate(c.then, env)), evaluate(node.else, env)];
      const src = new Int32Array(n).fill(conds.length);
      for (let j = conds.length - 1; j >= 0; j--) {
        const c = conds[j];
        const m = c.valid;
        for (let i = 0; i < n; i++) if (c.v[i] && (m === null || m[i])) src[i] = j;
      }
      return gather(values, src, n);
    }
    case "lower": case "upper": return changeCase(asStr(evaluate(node.arg, env), n), node.op === "upper", n);
    case "length": return utf8Length(asStr(evaluate(node.arg, env), n), n);
    case "contains": case "startsWith":
      return search(asStr(evaluate(node.arg, env), n), Buffer.from(node.pattern, "utf8"), node.op === "startsWith", n);
    case "concat": return concat(node.args.map((a) => asStr(evaluate(a, env), n)), n);
    case "cast": return cast(evaluate(node.arg, env), node.to, n, env);
  }
}
