/** Where an expression is checked, and the errors type checking raises. */
import * as arrow from "apache-arrow";
import { SchemaError } from "../../sdk/errors";
import { describeSchema, describeType } from "../../sdk/schema";
import { CAT_NAME, type Typed } from "./categories";
import type { ExprNode } from "./node";
import { render } from "./render";

/** Where an expression is checked or evaluated, for messages. */
export interface Site {
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

/** @internal The error for a column the rows do not have, suggesting a near name. */
export function noSuchColumn(site: Site, name: string): SchemaError {
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

/** @internal The error for an operand of the wrong type, naming it and the available columns. */
export function typeError(site: Site, operand: { node: ExprNode; t: Typed }, rule: string, fix: string): SchemaError {
  const o = operand.node.op === "alias" ? operand.node.arg : operand.node;
  return new SchemaError({
    code: "BL_EXPR_TYPE",
    where: siteWhere(site),
    value: o.op === "col" ? o.name : o.op === "lit" ? o.value : render(o),
    rule: `${rule}, but ${render(o)} is ${describeTyped(operand.t)}; available columns: ${available(site.schema)}`,
    fix,
  });
}

/** @internal The type of an operand in words, for messages. */
export function describeTyped(t: Typed): string {
  return t.cat === "other" || t.cat === "ts" ? `of type ${describeType(t.type)}` : t.cat === "null" ? "null" : `${CAT_NAME[t.cat]} (${describeType(t.type)})`;
}
