/** Planning select and withColumn: output columns type-checked against an input schema, and running the plan on a batch. */
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import { makeRecordBatch } from "../../sdk/columns";
import { evaluate } from "./evaluate";
import type { Env } from "./evaluated";
import { stripAlias, type ExprNode } from "./node";
import { render } from "./render";
import { toData } from "./to-data";
import type { Site } from "./type-errors";
import { typeOf } from "./type-of";

/** @internal The index of each column name in a schema (the first, for repeated names). */
export function fieldIndex(s: arrow.Schema): Map<string, number> {
  const m = new Map<string, number>();
  s.fields.forEach((f, i) => { if (!m.has(f.name)) m.set(f.name, i); });
  return m;
}

/** One output column: passed through from an input column, or computed. */
export interface OutputColumn {
  readonly name: string;
  readonly node: ExprNode;
  /** The input column index for a bare column reference, else -1. */
  readonly source: number;
  readonly type: arrow.DataType;
}

/** @internal How select or withColumn makes its output from one input schema: the output schema and columns. */
export interface Plan {
  readonly schema: arrow.Schema;
  readonly columns: readonly OutputColumn[];
  readonly index: Map<string, number>;
}

/** @internal Type-checks one output column's expression and gives its column and field. */
export function outputColumn(name: string, node: ExprNode, input: arrow.Schema, index: Map<string, number>, where: string): { column: OutputColumn; field: arrow.Field } {
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

/** @internal Makes the output batch of a plan: passed-through columns as they are, computed ones evaluated. */
export function runPlan(plan: Plan, batch: ElementBatch, where: string, schema: arrow.Schema): ElementBatch {
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
export function planner(make: (s: arrow.Schema) => Plan, declared: Plan | null): (s: arrow.Schema) => Plan {
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
