/** The expression tree as plain JSON: its node types and operator names. */

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

/** @internal The operators with one operand. */
export const UNARY: readonly string[] = ["neg", "not", "isNull", "isNotNull", "lower", "upper", "length"];
/** @internal The arithmetic operators. */
export const ARITH: readonly string[] = ["add", "sub", "mul", "div", "mod"];
/** @internal The comparison operators. */
export const COMPARE: readonly string[] = ["eq", "ne", "lt", "le", "gt", "ge"];
/** @internal The logical operators with two operands. */
export const LOGIC: readonly string[] = ["and", "or"];
/** @internal The types cast converts to. */
export const CAST_TYPES: readonly string[] = ["float64", "int32", "int64", "string", "bool"];

/** @internal The expression under any `.as(...)` names. */
export function stripAlias(n: ExprNode): ExprNode {
  while (n.op === "alias") n = n.arg;
  return n;
}
