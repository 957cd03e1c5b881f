/** The columnar ParDo that runs a plan over each batch. */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import type { JsonValue } from "../../sdk/graph";
import { columnar } from "../../sdk/pardo";
import type { PCollection } from "../../sdk/pcollection";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import { planner, runPlan, type Plan } from "./plan";

/** The columnar ParDo behind select and withColumn. */
export class ExprTransform<I, O> extends PTransform<PCollection<I>, PCollection<O>> {
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
