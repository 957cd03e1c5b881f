/** The where transform: keep the rows whose predicate is true. */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import { keepRows } from "../../sdk/keep-rows";
import type { JsonValue } from "../../sdk/graph";
import { columnar } from "../../sdk/pardo";
import type { PCollection } from "../../sdk/pcollection";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import { evaluate } from "./evaluate";
import { nodeOf, type Expr } from "./expr";
import { fieldIndex } from "./plan";
import { render } from "./render";
import { typeError, type Site } from "./type-errors";
import { typeOf } from "./type-of";

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
        const out = keepRows(batch, keep, kept);
        if (out) emit("main", out);
      };
      return columnar<T, T>("Where", fn, input.schema, { expressions: { where: node } as unknown as JsonValue }).expand(input, ctx);
    }
  })("Where");
}
