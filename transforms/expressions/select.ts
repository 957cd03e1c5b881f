/** The select transform: keep, compute and rename columns. */
import * as arrow from "apache-arrow";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import type { PTransform } from "../../sdk/transform";
import { Expr } from "./expr";
import { ExprTransform } from "./expr-transform";
import { badExpr } from "./invalid-expr";
import type { ExprNode } from "./node";
import { fieldIndex, outputColumn } from "./plan";

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
