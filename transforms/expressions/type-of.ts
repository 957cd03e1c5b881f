/** Type checking an expression against the input schema. */
import { catOf, DEFAULT_TYPE, T_BOOL, T_FLOAT64, T_INT32, T_INT64, T_UTF8, type Cat, type Typed } from "./categories";
import { badExpr } from "./invalid-expr";
import type { ExprNode } from "./node";
import { render } from "./render";
import { describeTyped, noSuchColumn, typeError, type Site } from "./type-errors";

const isNum = (c: Cat) => c === "int" || c === "float" || c === "null";

/** The common category of values that may stand in one output column (coalesce, when), or null if none. */
function unify(cats: readonly Cat[]): Cat | null {
  const set = new Set(cats.filter((c) => c !== "null"));
  if (set.size === 0) return "null";
  if ([...set].every((c) => c === "int" || c === "float")) return set.has("float") ? "float" : "int";
  // Numbers stand in for timestamps as ms since the epoch.
  if (set.has("ts") && [...set].every((c) => c === "int" || c === "float" || c === "ts")) return "ts";
  if (set.size === 1 && !set.has("other")) return [...set][0];
  return null;
}

/** @internal Type-checks an expression against a schema and gives its type, or throws naming the operand at fault. */
export function typeOf(node: ExprNode, site: Site, index: Map<string, number>): Typed {
  const sub = (n: ExprNode) => ({ node: n, t: typeOf(n, site, index) });
  switch (node.op) {
    case "col": {
      const i = index.get(node.name);
      if (i === undefined) throw noSuchColumn(site, node.name);
      const type = site.schema.fields[i].type;
      return { cat: catOf(type), type };
    }
    case "lit": {
      const v = node.value;
      const cat: Cat = v === null ? "null" : typeof v === "string" ? "string" : typeof v === "boolean" ? "bool" : Number.isInteger(v) ? "int" : "float";
      return { cat, type: DEFAULT_TYPE[cat as Exclude<Cat, "other">] };
    }
    case "alias": return typeOf(node.arg, site, index);
    case "add": case "sub": case "mul": case "div": case "mod": {
      const [a, b] = node.args.map(sub);
      for (const x of [a, b]) {
        if (!isNum(x.t.cat)) {
          throw typeError(site, x, `${node.op} needs numbers`,
            x.t.cat === "string" ? `cast it first, e.g. ${render(x.node)}.cast("float64"), or join strings with .concat(...)`
              : x.t.cat === "ts" ? `cast it to ms first: ${render(x.node)}.cast("float64")`
                : x.t.cat === "bool" ? `cast it first: ${render(x.node)}.cast("int32"), or use when(...)` : "use a numeric column");
        }
      }
      const cat: Cat = node.op === "div" || a.t.cat === "float" || b.t.cat === "float" ? "float" : "int";
      return { cat, type: DEFAULT_TYPE[cat] };
    }
    case "neg": {
      const a = sub(node.arg);
      if (!isNum(a.t.cat)) throw typeError(site, a, "neg needs a number", `cast it first, e.g. ${render(a.node)}.cast("float64")`);
      const cat: Cat = a.t.cat === "float" ? "float" : "int";
      return { cat, type: DEFAULT_TYPE[cat] };
    }
    case "eq": case "ne": case "lt": case "le": case "gt": case "ge": {
      const [a, b] = node.args.map(sub);
      const numLike = (c: Cat) => isNum(c) || c === "ts";
      const ok = a.t.cat === "null" || b.t.cat === "null"
        ? a.t.cat !== "other" && b.t.cat !== "other"
        : (numLike(a.t.cat) && numLike(b.t.cat)) || (a.t.cat === b.t.cat && a.t.cat !== "other");
      if (!ok) {
        const bad = a.t.cat === "other" ? a : b.t.cat === "other" ? b : b;
        throw typeError(site, bad, `${node.op} compares values of one kind (numbers, strings or bools), and ${render(a.node)} is ${describeTyped(a.t)}`,
          `cast one side so both match, e.g. ${render(bad.node)}.cast(${a.t.cat === "string" ? '"string"' : '"float64"'})`);
      }
      return { cat: "bool", type: T_BOOL };
    }
    case "and": case "or": case "not": {
      const args = "arg" in node ? [sub(node.arg)] : node.args.map(sub);
      for (const x of args) {
        if (x.t.cat !== "bool" && x.t.cat !== "null") throw typeError(site, x, `${node.op} needs bools`, `make it a condition first, e.g. ${render(x.node)}.${x.t.cat === "string" ? 'eq("…")' : "gt(0)"}`);
      }
      return { cat: "bool", type: T_BOOL };
    }
    case "isNull": case "isNotNull": sub(node.arg); return { cat: "bool", type: T_BOOL };
    case "lower": case "upper": case "length": case "contains": case "startsWith": {
      const a = sub(node.arg);
      if (a.t.cat !== "string" && a.t.cat !== "null") throw typeError(site, a, `${node.op} needs a string`, `cast it first: ${render(a.node)}.cast("string")`);
      return node.op === "length" ? { cat: "int", type: T_INT32 } : node.op === "lower" || node.op === "upper" ? { cat: "string", type: T_UTF8 } : { cat: "bool", type: T_BOOL };
    }
    case "concat": {
      for (const x of node.args.map(sub)) {
        if (x.t.cat !== "string" && x.t.cat !== "null") throw typeError(site, x, "concat joins strings", `cast it first: ${render(x.node)}.cast("string")`);
      }
      return { cat: "string", type: T_UTF8 };
    }
    case "cast": {
      const a = sub(node.arg);
      if (a.t.cat === "other" || (a.t.cat === "ts" && node.to === "bool")) {
        throw typeError(site, a, `cannot cast to ${node.to}`, "cast numbers, strings, bools or timestamps only");
      }
      switch (node.to) {
        case "float64": return { cat: "float", type: T_FLOAT64 };
        case "int32": return { cat: "int", type: T_INT32 };
        case "int64": return { cat: "int", type: T_INT64 };
        case "string": return { cat: "string", type: T_UTF8 };
        case "bool": return { cat: "bool", type: T_BOOL };
      }
      break;
    }
    case "coalesce": case "when": {
      const values = "args" in node ? node.args.map(sub) : [...node.cases.map((c) => sub(c.then)), sub(node.else)];
      if ("cases" in node) {
        for (const c of node.cases) {
          const x = sub(c.if);
          if (x.t.cat !== "bool" && x.t.cat !== "null") throw typeError(site, x, "a when condition must be a bool", `make it a condition, e.g. ${render(x.node)}.isNotNull()`);
        }
      }
      const cat = unify(values.map((v) => v.t.cat));
      if (cat === null) {
        const first = values.find((v) => v.t.cat !== "null")!;
        const bad = values.find((v) => v.t.cat !== "null" && unify([first.t.cat, v.t.cat]) === null) ?? first;
        throw typeError(site, bad, `${node.op === "when" ? "the branches of when" : "the values of coalesce"} must be of one kind (numbers, strings, bools, or timestamps with numbers as ms), and ${render(first.node)} is ${describeTyped(first.t)}`,
          `cast them to one type, e.g. ${render(bad.node)}.cast(${first.t.cat === "string" ? '"string"' : '"float64"'})`);
      }
      return { cat, type: DEFAULT_TYPE[cat as Exclude<Cat, "other">] };
    }
  }
  throw badExpr(node, "unknown expression node", "build expressions with col(), lit() and when()");
}
