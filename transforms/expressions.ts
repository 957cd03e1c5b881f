/**
 * Vectorised column expressions: `col("price").mul(col("qty"))`, applied with {@link select},
 * {@link withColumn} and {@link where}. An expression is plain JSON data (it goes into the transform's
 * payload, so the graph fingerprint covers it and a worker can rebuild it with {@link exprFromJson});
 * it is type-checked against the input schema when the transform is applied (or against the first
 * batch when the schema is only known at run time) and evaluated a column at a time over typed arrays
 * and validity masks, never through per-row objects.
 *
 * Semantics (SQL-like):
 * - **Nulls propagate**: any null operand gives null, except `and`/`or` (three-valued logic:
 *   `false and null` is false, `true or null` is true), `isNull`/`isNotNull` (never null), `coalesce`
 *   (first non-null) and `when` (a null condition counts as false). `where` drops rows whose predicate
 *   is null.
 * - **Numbers** are computed as float64. `add`/`sub`/`mul`/`mod`/`neg` of integers give int64
 *   (exact within ±2^53; a result beyond the int64 range fails the run); anything involving a float
 *   gives float64; `div` always gives float64 (`lit(7).div(2)` is 3.5). **Division or modulo by zero
 *   gives null** (as Spark SQL does), for integers and floats alike. `mod` takes the sign of the
 *   dividend (`-7 mod 3` is -1). An integer literal (`lit(3)`, `.add(1)`) is an integer; `lit(1.5)` a float.
 * - **Comparisons** give bool; numbers (and timestamps, as ms) compare with numbers, strings with
 *   strings (by code point, i.e. UTF-8 byte order), bools with bools (false < true).
 * - **Strings**: `length` counts Unicode code points (`"日本語"` has 3); `lower`/`upper` use Unicode's
 *   locale-independent case mapping; `contains`/`startsWith` take a literal string; `concat` joins
 *   strings (null if any part is null).
 * - **cast**: numbers → int32/int64 truncate toward zero (out of range or NaN fails the run); strings
 *   parse as decimal numbers or `true/false/t/f/yes/no/1/0` for bool (anything else fails the run,
 *   naming the row and value: filter such rows first); numbers → string use JavaScript's formatting;
 *   timestamps → string give ISO-8601; timestamps → numbers give ms since the epoch.
 * - **Output types**: a bare `col(...)` keeps its column (type and data, no copy); computed integers
 *   are int64 (`length()` and `cast("int32")` give int32), other numbers float64, comparisons bool,
 *   strings utf8, `lit(null)` alone the null type.
 */
import * as arrow from "apache-arrow";
import { takeMetadata, type ElementBatch } from "../sdk/batch";
import { filterRecordBatch, makeRecordBatch } from "../sdk/columns";
import { PipelineConstructionError, SchemaError, UserCodeError } from "../sdk/errors";
import type { JsonValue } from "../sdk/graph";
import { columnar } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { describeSchema, describeType, SCALAR_FIELD, SCALAR_METADATA_KEY } from "../sdk/schema";
import { PTransform, type ExpandContext } from "../sdk/transform";

// ---------------------------------------------------------------------------------------------
// The expression tree (plain JSON)
// ---------------------------------------------------------------------------------------------

/** A literal value an expression may hold: a finite number, a string, a boolean or null. */
export type LiteralValue = number | string | boolean | null;

/** The types {@link Expr.cast} converts to. */
export type CastType = "float64" | "int32" | "int64" | "string" | "bool";

/** Operators with one operand. */
export type UnaryOp = "neg" | "not" | "isNull" | "isNotNull" | "lower" | "upper" | "length";

/** Operators with two operands. */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "mod" | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or";

/** The JSON form of an expression: what goes into the transform's payload. */
export type ExprNode =
  | { op: "col"; name: string }
  | { op: "lit"; value: LiteralValue }
  | { op: "alias"; name: string; arg: ExprNode }
  | { op: UnaryOp; arg: ExprNode }
  | { op: BinaryOp; args: [ExprNode, ExprNode] }
  | { op: "coalesce" | "concat"; args: ExprNode[] }
  | { op: "contains" | "startsWith"; arg: ExprNode; pattern: string }
  | { op: "cast"; arg: ExprNode; to: CastType }
  | { op: "when"; cases: { if: ExprNode; then: ExprNode }[]; else: ExprNode };

/** What an operand may be: an expression, or a literal value (a string operand is a literal, not a column name). */
export type ExprInput = Expr | LiteralValue;

const UNARY: readonly string[] = ["neg", "not", "isNull", "isNotNull", "lower", "upper", "length"];
const ARITH: readonly string[] = ["add", "sub", "mul", "div", "mod"];
const COMPARE: readonly string[] = ["eq", "ne", "lt", "le", "gt", "ge"];
const LOGIC: readonly string[] = ["and", "or"];
const CAST_TYPES: readonly string[] = ["float64", "int32", "int64", "string", "bool"];

function badExpr(value: unknown, rule: string, fix: string, where = "expression"): PipelineConstructionError {
  return new PipelineConstructionError({ code: "BL_EXPR_INVALID", where, value, rule, fix });
}

function literalNode(v: unknown): ExprNode {
  if (v === null || typeof v === "string" || typeof v === "boolean") return { op: "lit", value: v };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) {
      throw badExpr(v, "a numeric literal must be finite (expressions are JSON, which has no NaN or Infinity)", "filter such values with where(...) instead, or use lit(null)");
    }
    return { op: "lit", value: Object.is(v, -0) ? 0 : v };
  }
  if (v === undefined) throw badExpr(v, "an operand is undefined", "pass an expression (col(...), lit(...)) or a number, string, boolean or null");
  if (typeof v === "bigint") throw badExpr(v, "a literal cannot be a bigint", "pass Number(x) (integers are exact within ±2^53)");
  throw badExpr(v, `an operand must be an expression or a number, string, boolean or null, got ${typeof v === "object" ? "an object" : typeof v}`, "wrap column references in col(...) and values in lit(...)");
}

function nodeOf(x: ExprInput): ExprNode {
  if (x instanceof Expr) return x.node;
  if ((x as unknown) instanceof When) throw badExpr(String(x), "a when(...) needs .otherwise(...) before it can be used", "finish it with .otherwise(value), e.g. .otherwise(null)");
  return literalNode(x);
}

function checkString(v: unknown, what: string): string {
  if (typeof v !== "string") throw badExpr(v, `${what} must be a string`, `pass a string literal`);
  return v;
}

/** A column expression: build with {@link col}, {@link lit} and {@link when}, combine with its methods, apply with {@link select}, {@link withColumn} or {@link where}. */
export class Expr {
  /** @internal Use col(), lit() and when(). */
  constructor(
    /** The JSON form of the expression. */
    readonly node: ExprNode,
  ) {}

  /** This plus `other` (numbers). */
  add(other: ExprInput): Expr { return this.binary("add", other); }
  /** This minus `other` (numbers). */
  sub(other: ExprInput): Expr { return this.binary("sub", other); }
  /** This times `other` (numbers). */
  mul(other: ExprInput): Expr { return this.binary("mul", other); }
  /** This divided by `other`, always float64; null when `other` is 0. */
  div(other: ExprInput): Expr { return this.binary("div", other); }
  /** The remainder of this divided by `other` (sign of this); null when `other` is 0. */
  mod(other: ExprInput): Expr { return this.binary("mod", other); }
  /** Minus this. */
  neg(): Expr { return this.unary("neg"); }

  /** Whether this equals `other`. */
  eq(other: ExprInput): Expr { return this.binary("eq", other); }
  /** Whether this differs from `other`. */
  ne(other: ExprInput): Expr { return this.binary("ne", other); }
  /** Whether this is less than `other`. */
  lt(other: ExprInput): Expr { return this.binary("lt", other); }
  /** Whether this is less than or equal to `other`. */
  le(other: ExprInput): Expr { return this.binary("le", other); }
  /** Whether this is greater than `other`. */
  gt(other: ExprInput): Expr { return this.binary("gt", other); }
  /** Whether this is greater than or equal to `other`. */
  ge(other: ExprInput): Expr { return this.binary("ge", other); }

  /** Logical and, three-valued (false wins over null). */
  and(other: ExprInput): Expr { return this.binary("and", other); }
  /** Logical or, three-valued (true wins over null). */
  or(other: ExprInput): Expr { return this.binary("or", other); }
  /** Logical not (null stays null). */
  not(): Expr { return this.unary("not"); }

  /** Whether this is null (never null itself). */
  isNull(): Expr { return this.unary("isNull"); }
  /** Whether this is not null (never null itself). */
  isNotNull(): Expr { return this.unary("isNotNull"); }
  /** This where it is not null, else the first non-null of `others`. */
  coalesce(...others: ExprInput[]): Expr {
    if (others.length === 0) throw badExpr(this.toString(), "coalesce needs at least one other value", "pass a fallback, e.g. .coalesce(0)");
    return new Expr({ op: "coalesce", args: [this.node, ...others.map(nodeOf)] });
  }

  /** The string in lower case. */
  lower(): Expr { return this.unary("lower"); }
  /** The string in upper case. */
  upper(): Expr { return this.unary("upper"); }
  /** The string's length in Unicode code points (int32). */
  length(): Expr { return this.unary("length"); }
  /** Whether the string contains `s`. */
  contains(s: string): Expr { return new Expr({ op: "contains", arg: this.node, pattern: checkString(s, "contains(s): s") }); }
  /** Whether the string starts with `s`. */
  startsWith(s: string): Expr { return new Expr({ op: "startsWith", arg: this.node, pattern: checkString(s, "startsWith(s): s") }); }
  /** The string followed by the given strings (null if any is null). */
  concat(...others: ExprInput[]): Expr { return new Expr({ op: "concat", args: [this.node, ...others.map(nodeOf)] }); }

  /** This converted to another type (see the module doc for the rules). */
  cast(to: CastType): Expr {
    if (!CAST_TYPES.includes(to as string)) throw badExpr(to, `cast takes one of ${CAST_TYPES.map((c) => `"${c}"`).join(", ")}`, 'e.g. .cast("float64")');
    return new Expr({ op: "cast", arg: this.node, to });
  }

  /** This expression under an output column name (for select). */
  as(name: string): Expr { return new Expr({ op: "alias", name: checkString(name, "as(name): name"), arg: this.node }); }

  /** The JSON form (the same as `node`). */
  toJSON(): ExprNode { return this.node; }

  /** The expression as code, e.g. `col("price").mul(col("qty"))`. */
  toString(): string { return render(this.node); }

  private unary(op: UnaryOp): Expr { return new Expr({ op, arg: this.node }); }
  private binary(op: BinaryOp, other: ExprInput): Expr { return new Expr({ op, args: [this.node, nodeOf(other)] }); }
}

/**
 * A reference to a column of the input rows (for rows that are bare values, the column is "value").
 * @example
 * pc.apply(withColumn("total", col("price").mul(col("qty"))))
 *   .apply(where(col("total").gt(100).and(col("country").eq("DE"))))
 *   .apply(select("id", col("total").cast("int64").as("cents")));
 */
export function col(name: string): Expr {
  return new Expr({ op: "col", name: checkString(name, "col(name): name") });
}

/** A literal value: an integer number is an integer, a non-integer number a float64. */
export function lit(value: LiteralValue): Expr {
  return new Expr(literalNode(value));
}

/** The first branch of a conditional; finish it with `.otherwise(value)`. */
export function when(cond: ExprInput, then: ExprInput): When {
  return new When([{ if: nodeOf(cond), then: nodeOf(then) }]);
}

/** A conditional being built: `when(c1, v1).when(c2, v2).otherwise(v3)`. */
export class When {
  /** @internal Use when(). */
  constructor(private readonly cases: { if: ExprNode; then: ExprNode }[]) {}

  /** Adds a branch, tried when the earlier conditions are false or null. */
  when(cond: ExprInput, then: ExprInput): When {
    return new When([...this.cases, { if: nodeOf(cond), then: nodeOf(then) }]);
  }

  /** The value where no condition is true; completes the expression. */
  otherwise(value: ExprInput): Expr {
    return new Expr({ op: "when", cases: this.cases, else: nodeOf(value) });
  }

  /** The conditional as code. */
  toString(): string {
    return this.cases.map((c, i) => `${i === 0 ? "when" : ".when"}(${renderArg(c.if)}, ${renderArg(c.then)})`).join("");
  }
}

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

function renderArg(n: ExprNode): string {
  return n.op === "lit" ? JSON.stringify(n.value) : render(n);
}

function render(n: ExprNode): string {
  switch (n.op) {
    case "col": return `col(${JSON.stringify(n.name)})`;
    case "lit": return `lit(${JSON.stringify(n.value)})`;
    case "alias": return `${render(n.arg)}.as(${JSON.stringify(n.name)})`;
    case "contains": case "startsWith": return `${render(n.arg)}.${n.op}(${JSON.stringify(n.pattern)})`;
    case "cast": return `${render(n.arg)}.cast(${JSON.stringify(n.to)})`;
    case "coalesce": case "concat": return `${render(n.args[0])}.${n.op}(${n.args.slice(1).map(renderArg).join(", ")})`;
    case "when": return `${n.cases.map((c, i) => `${i === 0 ? "when" : ".when"}(${renderArg(c.if)}, ${renderArg(c.then)})`).join("")}.otherwise(${renderArg(n.else)})`;
    default:
      if ("args" in n) return `${render(n.args[0])}.${n.op}(${renderArg(n.args[1])})`;
      return `${render(n.arg)}.${n.op}()`;
  }
}

// ---------------------------------------------------------------------------------------------
// Type checking against a schema
// ---------------------------------------------------------------------------------------------

/** Logical type categories: what operators accept. `other` columns can only be passed through or null-tested. */
type Cat = "int" | "float" | "bool" | "string" | "ts" | "null" | "other";

interface Typed {
  readonly cat: Cat;
  /** The Arrow type the value is written as when it is an output column. */
  readonly type: arrow.DataType;
}

const T_INT64 = new arrow.Int64();
const T_INT32 = new arrow.Int32();
const T_FLOAT64 = new arrow.Float64();
const T_BOOL = new arrow.Bool();
const T_UTF8 = new arrow.Utf8();
const T_NULL = new arrow.Null();
const T_TS = new arrow.TimestampMillisecond();

function catOf(type: arrow.DataType): Cat {
  switch (type.typeId) {
    case arrow.Type.Int: return "int";
    case arrow.Type.Float: return (type as arrow.Float).precision === arrow.Precision.HALF ? "other" : "float";
    case arrow.Type.Bool: return "bool";
    case arrow.Type.Utf8: return "string";
    case arrow.Type.Timestamp: return "ts";
    case arrow.Type.Null: return "null";
    default: return "other";
  }
}

const DEFAULT_TYPE: Record<Exclude<Cat, "other">, arrow.DataType> = {
  int: T_INT64, float: T_FLOAT64, bool: T_BOOL, string: T_UTF8, ts: T_TS, null: T_NULL,
};

const CAT_NAME: Record<Cat, string> = {
  int: "an integer", float: "a float", bool: "a bool", string: "a string", ts: "a timestamp", null: "null", other: "",
};

/** Where an expression is checked or evaluated, for messages. */
interface Site {
  /** The transform, e.g. `transform "WithColumn"`. */
  readonly where: string;
  /** The whole expression, rendered. */
  readonly expr: string;
  readonly schema: arrow.Schema;
}

function siteWhere(site: Site): string {
  return `${site.where}, expression ${site.expr}`;
}

function available(s: arrow.Schema): string {
  return s.fields.length ? describeSchema(s) : "(none)";
}

function noSuchColumn(site: Site, name: string): SchemaError {
  const near = site.schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  return new SchemaError({
    code: "BL_NO_SUCH_FIELD",
    where: siteWhere(site),
    value: name,
    rule: `the rows have no column of this name; available columns: ${available(site.schema)}`,
    fix: near
      ? `did you mean col(${JSON.stringify(near.name)})? (names are case-sensitive)`
      : "use one of the available columns, or add it first with withColumn(...)",
  });
}

function typeError(site: Site, operand: { node: ExprNode; t: Typed }, rule: string, fix: string): SchemaError {
  const o = operand.node.op === "alias" ? operand.node.arg : operand.node;
  return new SchemaError({
    code: "BL_EXPR_TYPE",
    where: siteWhere(site),
    value: o.op === "col" ? o.name : o.op === "lit" ? o.value : render(o),
    rule: `${rule}, but ${render(o)} is ${describeTyped(operand.t)}; available columns: ${available(site.schema)}`,
    fix,
  });
}

function describeTyped(t: Typed): string {
  return t.cat === "other" || t.cat === "ts" ? `of type ${describeType(t.type)}` : t.cat === "null" ? "null" : `${CAT_NAME[t.cat]} (${describeType(t.type)})`;
}

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

function typeOf(node: ExprNode, site: Site, index: Map<string, number>): Typed {
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

function fieldIndex(s: arrow.Schema): Map<string, number> {
  const m = new Map<string, number>();
  s.fields.forEach((f, i) => { if (!m.has(f.name)) m.set(f.name, i); });
  return m;
}

function stripAlias(n: ExprNode): ExprNode {
  while (n.op === "alias") n = n.arg;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Evaluation: column at a time over typed arrays
// ---------------------------------------------------------------------------------------------

/** One byte per row, 1 where the value is present; null when every value is present. */
type Mask = Uint8Array | null;

/** An evaluated column. Strings keep UTF-8 bytes and offsets; `off` null means every row is all of `bytes` (a literal). */
type Col =
  | { readonly k: "num"; readonly cat: "int" | "float" | "ts"; readonly v: Float64Array; readonly valid: Mask }
  | { readonly k: "bool"; readonly v: Uint8Array; readonly valid: Mask }
  | { readonly k: "str"; readonly off: Int32Array | null; readonly bytes: Uint8Array; readonly valid: Mask }
  | { readonly k: "null" }
  | { readonly k: "raw"; readonly valid: Mask };

type NumCol = Extract<Col, { k: "num" }>;
type BoolCol = Extract<Col, { k: "bool" }>;
type StrCol = Extract<Col, { k: "str" }>;

interface Env {
  readonly batch: arrow.RecordBatch;
  readonly n: number;
  readonly index: Map<string, number>;
  readonly where: string;
  readonly expr: string;
}

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6];
const encoder = new TextEncoder();

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The validity of a Data chunk as a byte mask (null when it has no nulls). */
function maskOf(data: arrow.Data): Mask {
  if (data.nullCount <= 0 || !data.nullBitmap) return null;
  const n = data.length;
  const bits = data.nullBitmap;
  const off = data.offset;
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1;
  return m;
}

function int64Doubles(values: BigInt64Array | BigUint64Array, n: number, signed: boolean, scale = 1): Float64Array {
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

/** Reads an input column into an evaluated column (float64 columns without a copy). */
function readColumn(data: arrow.Data, n: number): Col {
  const type = data.type;
  const valid = maskOf(data);
  switch (catOf(type)) {
    case "null": return { k: "null" };
    case "float": {
      const values = data.values as Float64Array | Float32Array;
      const v = values instanceof Float64Array ? values.subarray(0, n) : new Float64Array(values.subarray(0, n));
      return { k: "num", cat: "float", v, valid };
    }
    case "int": {
      const int = type as arrow.Int;
      const v = int.bitWidth < 64
        ? new Float64Array((data.values as Int32Array).subarray(0, n))
        : int64Doubles(data.values as BigInt64Array, n, int.isSigned);
      return { k: "num", cat: "int", v, valid };
    }
    case "ts":
      return { k: "num", cat: "ts", v: int64Doubles(data.values as BigInt64Array, n, true, MS_PER_UNIT[(type as arrow.Timestamp).unit]), valid };
    case "bool": {
      const bits = data.values as Uint8Array;
      const off = data.offset;
      const v = new Uint8Array(n);
      for (let i = 0; i < n; i++) v[i] = (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1;
      return { k: "bool", v, valid };
    }
    case "string":
      return { k: "str", off: data.valueOffsets as Int32Array, bytes: data.values as Uint8Array, valid };
    default:
      return { k: "raw", valid };
  }
}

function allNull(n: number): Uint8Array {
  return new Uint8Array(n);
}

function asNum(c: Col, n: number): NumCol {
  if (c.k === "num") return c;
  if (c.k === "bool") return { k: "num", cat: "int", v: Float64Array.from(c.v), valid: c.valid };
  return { k: "num", cat: "int", v: new Float64Array(n), valid: allNull(n) };
}

function asBool(c: Col, n: number): BoolCol {
  if (c.k === "bool") return c;
  return { k: "bool", v: new Uint8Array(n), valid: allNull(n) };
}

function asStr(c: Col, n: number): StrCol {
  if (c.k === "str") return c;
  return { k: "str", off: new Int32Array(n + 1), bytes: new Uint8Array(0), valid: allNull(n) };
}

/** Rows valid in both masks. May return one of its inputs: never write to the result. */
function andMask(a: Mask, b: Mask, n: number): Mask {
  if (a === null) return b;
  if (b === null) return a;
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = a[i] & b[i];
  return m;
}

/** A writable copy of a mask. */
function freshMask(m: Mask, n: number): Uint8Array {
  return m === null ? new Uint8Array(n).fill(1) : Uint8Array.from(m);
}

function literal(v: LiteralValue, n: number): Col {
  if (v === null) return { k: "null" };
  if (typeof v === "number") return { k: "num", cat: Number.isInteger(v) ? "int" : "float", v: new Float64Array(n).fill(v), valid: null };
  if (typeof v === "boolean") return { k: "bool", v: new Uint8Array(n).fill(v ? 1 : 0), valid: null };
  return { k: "str", off: null, bytes: encoder.encode(v), valid: null };
}

function evaluate(node: ExprNode, env: Env): Col {
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

function arith(op: "add" | "sub" | "mul" | "div" | "mod", a: NumCol, b: NumCol, n: number): Col {
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

function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", ca: Col, cb: Col, n: number): Col {
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

/** Three-valued and/or: a definite false (and) or true (or) decides even when the other side is null. */
function logic(op: "and" | "or", a: BoolCol, b: BoolCol, n: number): Col {
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

/** Row i of the result is row i of `cols[src[i]]` (null where src[i] is -1 or out of range). */
function gather(cols: Col[], src: Int32Array, n: number): Col {
  const kinds = new Set(cols.filter((c) => c.k !== "null").map((c) => c.k));
  const kind = kinds.size ? [...kinds][0] : "null";
  if (kind === "null") return { k: "null" };
  const valid = new Uint8Array(n);
  const m = cols.length;
  if (kind === "str") {
    const ss = cols.map((c) => asStr(c, n));
    const off = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const j = src[i];
      if (j >= 0 && j < m && (ss[j].valid === null || ss[j].valid![i])) {
        const o = ss[j].off;
        total += o ? o[i + 1] - o[i] : ss[j].bytes.length;
        valid[i] = 1;
      }
      off[i + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue;
      const c = ss[src[i]];
      const o = c.off;
      const s = o ? o[i] : 0;
      const e = o ? o[i + 1] : c.bytes.length;
      copyBytes(c.bytes, s, e, bytes, off[i]);
    }
    return { k: "str", off, bytes, valid };
  }
  if (kind === "bool") {
    const bs = cols.map((c) => asBool(c, n));
    const v = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const j = src[i];
      if (j >= 0 && j < m && (bs[j].valid === null || bs[j].valid![i])) { v[i] = bs[j].v[i]; valid[i] = 1; }
    }
    return { k: "bool", v, valid };
  }
  const ns = cols.map((c) => asNum(c, n));
  const numCats = cols.filter((c): c is NumCol => c.k === "num").map((c) => c.cat);
  const cat = numCats.includes("ts") ? "ts" : numCats.includes("float") ? "float" : "int";
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = src[i];
    if (j >= 0 && j < m && (ns[j].valid === null || ns[j].valid![i])) { v[i] = ns[j].v[i]; valid[i] = 1; }
  }
  return { k: "num", cat, v, valid };
}

function copyBytes(src: Uint8Array, s: number, e: number, dst: Uint8Array, at: number): void {
  if (e - s > 32) dst.set(src.subarray(s, e), at);
  else for (let b = s; b < e; b++) dst[at++] = src[b];
}

/** Unicode code points per row: UTF-8 bytes that are not continuation bytes. */
function utf8Length(a: StrCol, n: number): Col {
  const v = new Float64Array(n);
  const bytes = a.bytes;
  const o = a.off;
  if (o === null) {
    let len = 0;
    for (let b = 0; b < bytes.length; b++) if ((bytes[b] & 0xc0) !== 0x80) len++;
    v.fill(len);
  } else {
    for (let i = 0; i < n; i++) {
      let len = 0;
      for (let b = o[i], e = o[i + 1]; b < e; b++) if ((bytes[b] & 0xc0) !== 0x80) len++;
      v[i] = len;
    }
  }
  return { k: "num", cat: "int", v, valid: a.valid };
}

/** A growable UTF-8 output column. */
class StrBuilder {
  readonly off: Int32Array;
  bytes: Uint8Array;
  buf: Buffer;
  pos = 0;

  constructor(n: number, capacity: number) {
    this.off = new Int32Array(n + 1);
    this.bytes = new Uint8Array(Math.max(16, capacity));
    this.buf = bufferOf(this.bytes);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + extra));
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.buf = bufferOf(next);
  }

  writeString(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  end(i: number): void {
    this.off[i + 1] = this.pos;
  }

  finish(valid: Mask): StrCol {
    return { k: "str", off: this.off, bytes: this.bytes.subarray(0, this.pos), valid };
  }
}

function changeCase(a: StrCol, upper: boolean, n: number): Col {
  const src = a.bytes;
  const srcBuf = bufferOf(src);
  const o = a.off;
  const out = new StrBuilder(n, o ? o[n] - o[0] : src.length * n);
  const m = a.valid;
  const lo = upper ? 0x61 : 0x41; // the ASCII letters that change: a-z for upper, A-Z for lower
  for (let i = 0; i < n; i++) {
    if (m === null || m[i]) {
      const s = o ? o[i] : 0;
      const e = o ? o[i + 1] : src.length;
      let ascii = true;
      for (let b = s; b < e; b++) if (src[b] >= 0x80) { ascii = false; break; }
      if (ascii) {
        out.ensure(e - s);
        const dst = out.bytes;
        let p = out.pos;
        for (let b = s; b < e; b++) {
          const c = src[b];
          dst[p++] = c >= lo && c < lo + 26 ? c ^ 0x20 : c;
        }
        out.pos = p;
      } else {
        const text = srcBuf.toString("utf8", s, e);
        out.writeString(upper ? text.toUpperCase() : text.toLowerCase());
      }
    }
    out.end(i);
  }
  return out.finish(m);
}

function search(a: StrCol, needle: Uint8Array, prefix: boolean, n: number): Col {
  const v = new Uint8Array(n);
  const bytes = a.bytes;
  const o = a.off;
  const l = needle.length;
  for (let i = 0; i < n; i++) {
    const s = o ? o[i] : 0;
    const e = o ? o[i + 1] : bytes.length;
    if (e - s < l) continue;
    const last = prefix ? s : e - l;
    for (let p = s; p <= last; p++) {
      let k = 0;
      while (k < l && bytes[p + k] === needle[k]) k++;
      if (k === l) { v[i] = 1; break; }
    }
  }
  return { k: "bool", v, valid: a.valid };
}

function concat(parts: StrCol[], n: number): Col {
  let valid: Mask = null;
  for (const p of parts) valid = andMask(valid, p.valid, n);
  const off = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i]) {
      for (const p of parts) total += p.off ? p.off[i + 1] - p.off[i] : p.bytes.length;
    }
    off[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    let at = off[i];
    for (const p of parts) {
      const s = p.off ? p.off[i] : 0;
      const e = p.off ? p.off[i + 1] : p.bytes.length;
      copyBytes(p.bytes, s, e, bytes, at);
      at += e - s;
    }
  }
  return { k: "str", off, bytes, valid };
}

// ---------------------------------------------------------------------------------------------
// cast
// ---------------------------------------------------------------------------------------------

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

function cast(c: Col, to: CastType, n: number, env: Env): Col {
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

// ---------------------------------------------------------------------------------------------
// Evaluated columns → Arrow data
// ---------------------------------------------------------------------------------------------

function toBitmap(m: Mask, n: number): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  if (m === null) return { nullCount: 0, nullBitmap: undefined };
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (m[i]) bits[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0, nullBitmap: undefined } : { nullCount: nulls, nullBitmap: bits };
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

/** Writes an evaluated column as Arrow data of the type the type check decided. */
function toData(c: Col, type: arrow.DataType, n: number, env: Env): arrow.Data {
  if (type.typeId === arrow.Type.Null || c.k === "null") {
    if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: n });
    return toData(nullOf(type, n), type, n, env);
  }
  if (c.k === "raw") throw new Error("internal: a passthrough column reached toData");
  const mask = c.valid;
  const { nullCount, nullBitmap } = toBitmap(mask, n);
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const v = (c as BoolCol).v;
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (v[i]) bits[i >> 3] |= 1 << (i & 7);
      return arrow.makeData({ type: type as arrow.Bool, length: n, nullCount, nullBitmap, data: bits });
    }
    case arrow.Type.Utf8: {
      const s = c as StrCol;
      let off: Int32Array;
      let bytes: Uint8Array;
      if (s.off === null) {
        const l = s.bytes.length;
        off = new Int32Array(n + 1);
        for (let i = 0; i <= n; i++) off[i] = i * l;
        bytes = new Uint8Array(l * n);
        for (let i = 0; i < n; i++) bytes.set(s.bytes, i * l);
      } else if (s.off[0] !== 0) {
        const base = s.off[0];
        off = new Int32Array(n + 1);
        for (let i = 0; i <= n; i++) off[i] = s.off[i] - base;
        bytes = s.bytes.subarray(base, s.off[n]);
      } else {
        off = s.off.subarray(0, n + 1);
        bytes = s.bytes.subarray(0, s.off[n]);
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount, nullBitmap, valueOffsets: off, data: bytes });
    }
    case arrow.Type.Float: {
      // May share the input column's buffer (Arrow data is immutable); never written here.
      return arrow.makeData({ type: type as arrow.Float64, length: n, nullCount, nullBitmap, data: (c as NumCol).v });
    }
    case arrow.Type.Int: {
      const x = (c as NumCol).v;
      if ((type as arrow.Int).bitWidth === 32) {
        const v = new Int32Array(n);
        for (let i = 0; i < n; i++) if (mask === null || mask[i]) v[i] = x[i];
        return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount, nullBitmap, data: v });
      }
      return arrow.makeData({ type: type as arrow.Int64, length: n, nullCount, nullBitmap, data: int64Values(x, mask, n, type, env) });
    }
    case arrow.Type.Timestamp: {
      const x = (c as NumCol).v;
      const floored = new Float64Array(n);
      for (let i = 0; i < n; i++) if (mask === null || mask[i]) floored[i] = Math.floor(x[i]);
      return arrow.makeData({ type: type as arrow.TimestampMillisecond, length: n, nullCount, nullBitmap, data: int64Values(floored, mask, n, type, env) });
    }
  }
  throw new Error(`internal: no writer for ${String(type)}`);
}

function nullOf(type: arrow.DataType, n: number): Col {
  switch (type.typeId) {
    case arrow.Type.Bool: return { k: "bool", v: new Uint8Array(n), valid: allNull(n) };
    case arrow.Type.Utf8: return { k: "str", off: new Int32Array(n + 1), bytes: new Uint8Array(0), valid: allNull(n) };
    default: return { k: "num", cat: "int", v: new Float64Array(n), valid: allNull(n) };
  }
}

/** Integral doubles → int64 values, written as 32-bit words (no BigInt per row). */
function int64Values(x: Float64Array, mask: Mask, n: number, type: arrow.DataType, env: Env): BigInt64Array {
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

// ---------------------------------------------------------------------------------------------
// Transforms
// ---------------------------------------------------------------------------------------------

/** One output column: passed through from an input column, or computed. */
interface OutputColumn {
  readonly name: string;
  readonly node: ExprNode;
  /** The input column index for a bare column reference, else -1. */
  readonly source: number;
  readonly type: arrow.DataType;
}

interface Plan {
  readonly schema: arrow.Schema;
  readonly columns: readonly OutputColumn[];
  readonly index: Map<string, number>;
}

function outputColumn(name: string, node: ExprNode, input: arrow.Schema, index: Map<string, number>, where: string): { column: OutputColumn; field: arrow.Field } {
  const site: Site = { where, expr: render(node), schema: input };
  const typed = typeOf(node, site, index);
  const bare = stripAlias(node);
  if (bare.op === "col") {
    const src = index.get(bare.name)!;
    const f = input.fields[src];
    return { column: { name, node, source: src, type: f.type }, field: new arrow.Field(name, f.type, true, f.metadata) };
  }
  return { column: { name, node, source: -1, type: typed.type }, field: new arrow.Field(name, typed.type, true) };
}

function runPlan(plan: Plan, batch: ElementBatch, where: string, schema: arrow.Schema): ElementBatch {
  const data = batch.data;
  const n = data.numRows;
  const children = plan.columns.map((c) => {
    if (c.source >= 0) return data.data.children[c.source];
    const env: Env = { batch: data, n, index: plan.index, where, expr: render(c.node) };
    return toData(evaluate(c.node, env), c.type, n, env);
  });
  return { ...batch, data: makeRecordBatch(schema, children, n) };
}

/** Caches the plan of the last input schema seen at run time (batches of one PCollection share it). */
function planner(make: (s: arrow.Schema) => Plan, declared: Plan | null): (s: arrow.Schema) => Plan {
  let lastSchema: arrow.Schema | null = null;
  let last: Plan | null = declared;
  return (s) => {
    if (s !== lastSchema || last === null) {
      last = make(s);
      lastSchema = s;
    }
    return last;
  };
}

/** What select takes: a column name, or an expression (named by `.as(...)` unless it is a bare column). */
export type SelectItem = string | Expr;

/**
 * Keeps, computes and renames columns: `select("id", col("price").mul(1.19).as("gross"))`. Computed
 * expressions need `.as(name)`; the output has exactly the listed columns, in order.
 */
export function select<I = any, O = Record<string, unknown>>(...items: (SelectItem | readonly SelectItem[])[]): PTransform<PCollection<I>, PCollection<O>> {
  const list = items.flat() as SelectItem[];
  if (list.length === 0) throw badExpr([], "select needs at least one column", 'name the columns to keep, e.g. select("id", col("x").as("y"))', "select");
  const named = list.map((item, i) => {
    if (typeof item === "string") return { name: item, node: { op: "col", name: item } as ExprNode };
    if (!(item instanceof Expr)) throw badExpr(item, `select item ${i} must be a column name or an expression`, 'pass names or expressions, e.g. select("id", col("x").as("y"))', "select");
    const n = item.node;
    if (n.op === "alias") return { name: n.name, node: n };
    if (n.op === "col") return { name: n.name, node: n };
    throw badExpr(item.toString(), "a computed select item needs a name", `name it: ${item.toString()}.as("…")`, "select");
  });
  const seen = new Set<string>();
  for (const { name } of named) {
    if (seen.has(name)) throw badExpr(name, "select lists this output column twice", 'give one of them another name with .as("…")', "select");
    seen.add(name);
  }
  const payload = { expressions: { select: named.map((x) => ({ name: x.name, expr: x.node })) } as unknown as JsonValue };
  return new ExprTransform<I, O>("Select", payload, (input, where) => {
    const index = fieldIndex(input);
    const outs = named.map((x) => outputColumn(x.name, x.node, input, index, where));
    return { schema: new arrow.Schema(outs.map((o) => o.field)), columns: outs.map((o) => o.column), index };
  });
}

/** Adds a column computed by `expr`, or replaces the column of that name in place. */
export function withColumn<I = any, O = any>(name: string, expr: ExprInput): PTransform<PCollection<I>, PCollection<O>> {
  checkString(name, "withColumn(name, expr): name");
  const node = nodeOf(expr);
  const payload = { expressions: { withColumn: name, expr: node } as unknown as JsonValue };
  return new ExprTransform<I, O>("WithColumn", payload, (input, where) => {
    const index = fieldIndex(input);
    const added = outputColumn(name, node, input, index, where);
    const fields = [...input.fields];
    const columns: OutputColumn[] = input.fields.map((f, i) => ({ name: f.name, node: { op: "col", name: f.name }, source: i, type: f.type }));
    const at = index.get(name);
    if (at === undefined) {
      fields.push(added.field);
      columns.push(added.column);
    } else {
      fields[at] = added.field;
      columns[at] = added.column;
    }
    // Rows of bare values stay bare only while their one column is still "value".
    const metadata = new Map(input.metadata);
    if (!(fields.length === 1 && fields[0].name === SCALAR_FIELD)) metadata.delete(SCALAR_METADATA_KEY);
    return { schema: new arrow.Schema(fields, metadata), columns, index };
  });
}

/** The columnar ParDo behind select and withColumn. */
class ExprTransform<I, O> extends PTransform<PCollection<I>, PCollection<O>> {
  constructor(
    label: string,
    private readonly payload: { [k: string]: JsonValue },
    private readonly plan: (input: arrow.Schema, where: string) => Plan,
  ) {
    super(label);
  }

  expand(input: PCollection<I>, ctx: ExpandContext): PCollection<O> {
    const where = `transform "${ctx.name}"`;
    const declared = input.schema ? this.plan(input.schema, where) : null;
    const planFor = planner((s) => this.plan(s, where), declared);
    const fixedOut = declared ? declared.schema : null;
    const fn = (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
      const plan = planFor(batch.data.schema);
      emit("main", runPlan(plan, batch, where, fixedOut ?? plan.schema));
    };
    return columnar<I, O>(this.label, fn, fixedOut, this.payload).expand(input, ctx);
  }
}

/** Keeps the rows where `predicate` is true (null counts as false); timestamps, windows and panes go with their rows. */
export function where<T = any>(predicate: Expr): PTransform<PCollection<T>, PCollection<T>> {
  const node = nodeOf(predicate);
  return new (class extends PTransform<PCollection<T>, PCollection<T>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<T> {
      const where = `transform "${ctx.name}"`;
      const check = (s: arrow.Schema): Map<string, number> => {
        const index = fieldIndex(s);
        const site: Site = { where, expr: render(node), schema: s };
        const t = typeOf(node, site, index);
        if (t.cat !== "bool" && t.cat !== "null") {
          throw typeError(site, { node, t }, "where needs a bool condition", `compare it, e.g. ${render(node)}.${t.cat === "string" ? 'eq("…")' : "gt(0)"}, or test .isNotNull()`);
        }
        return index;
      };
      if (input.schema) check(input.schema);
      let lastSchema: arrow.Schema | null = null;
      let index: Map<string, number> | null = null;
      const fn = (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
        if (batch.data.schema !== lastSchema || index === null) {
          index = check(batch.data.schema);
          lastSchema = batch.data.schema;
        }
        const n = batch.data.numRows;
        const c = evaluate(node, { batch: batch.data, n, index, where, expr: render(node) });
        const keep = new Uint8Array(n);
        let kept = 0;
        if (c.k === "bool") {
          const m = c.valid;
          for (let i = 0; i < n; i++) {
            const k = m === null ? c.v[i] : c.v[i] & m[i];
            keep[i] = k;
            kept += k;
          }
        }
        if (kept === 0) return;
        if (kept === n) {
          emit("main", batch);
          return;
        }
        const idx = new Int32Array(kept);
        for (let i = 0, j = 0; i < n; i++) if (keep[i]) idx[j++] = i;
        emit("main", { data: filterRecordBatch(batch.data, keep), ...takeMetadata(batch, idx) });
      };
      return columnar<T, T>("Where", fn, input.schema, { expressions: { where: node } as unknown as JsonValue }).expand(input, ctx);
    }
  })("Where");
}
