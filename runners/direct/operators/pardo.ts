/** Runs a ParDo through the shared invoker; buffers main input until its side inputs are complete. */
import type { ElementBatch } from "../../../sdk/batch";
import { ParDoInvoker } from "../../../sdk/invoker";
import type { ParDoFn } from "../../../sdk/pardo";
import type { Operator, OperatorContext } from "../operator";

/** The ParDo operator. */
export function pardoOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  const outputSchemas: Record<string, ReturnType<OperatorContext["schemaOf"]>> = {};
  for (const [tag, id] of Object.entries(t.outputs)) outputSchemas[tag] = ctx.schemaOf(id);
  const invoker = new ParDoInvoker(t.uniqueName, ctx.fn<ParDoFn>(), outputSchemas);
  const sideTags = Object.keys(t.inputs).filter((k) => k.startsWith("side:"));
  const pendingSides = new Set(sideTags);
  const sideBatches = new Map<string, ElementBatch[]>(sideTags.map((k) => [k, []]));
  const buffered: ElementBatch[] = [];
  let setUp = false;
  const emit = (tag: string, b: ElementBatch) => ctx.emit(tag, b);

  return {
    async open() {
      await invoker.setup();
      setUp = true;
    },
    processBatch(tag, batch) {
      if (tag.startsWith("side:")) {
        sideBatches.get(tag)!.push(batch);
        return;
      }
      if (pendingSides.size > 0) buffered.push(batch);
      else invoker.processBatch(batch, emit);
    },
    endOfInput(tag) {
      if (!tag.startsWith("side:")) return;
      const name = tag.slice(5);
      invoker.setSideInput(name, { windowFn: ctx.windowingOf(t.inputs[tag]).windowFn, batches: sideBatches.get(tag)! });
      pendingSides.delete(tag);
      if (pendingSides.size === 0) {
        for (const b of buffered.splice(0)) invoker.processBatch(b, emit);
      }
    },
    async close() {
      if (setUp) await invoker.teardown();
    },
  };
}
