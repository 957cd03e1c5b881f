/** Building expressions: the Expr class and its operators, col, lit, and when ... otherwise. */
import { badExpr } from "./invalid-expr";
import { CAST_TYPES, type BinaryOp, type CastType, type ExprNode, type LiteralValue, type UnaryOp } from "./node";
import { render, renderArg } from "./render";

/** What an operand may be: an expression, or a literal value (a string operand is a literal, not a column name). */
export type ExprInput = Expr | LiteralValue;

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

/** @internal The JSON node of an operand: an expression's own, or a literal's. */
export function nodeOf(x: ExprInput): ExprNode {
  if (x instanceof Expr) return x.node;
  if ((x as unknown) instanceof When) throw badExpr(String(x), "a when(...) needs .otherwise(...) before it can be used", "finish it with .otherwise(value), e.g. .otherwise(null)");
  return literalNode(x);
}

/** @internal Checks that an argument is a string. */
export function checkString(v: unknown, what: string): string {
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
