/**
 * Which combines can be lifted before a hash exchange: a combine per key whose aggregates merge the
 * way they add (sum, min, max and mean of a field, count: the sum of partial sums is the sum), in
 * windows where folding rows together early changes neither a pane nor an output timestamp.
 */
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { payloadOf } from "../../../sdk/payload";
import type { FoldKernel } from "../../runtime/combine/kernels";

/** A kernel whose merge of partial results equals adding the inputs. */
export type LiftableKernel = FoldKernel;

/** What an exchange pre-combines: per aggregate, its field (null for a count of rows) and kernel. */
export interface LiftedCombine {
  readonly fields: readonly (string | null)[];
  readonly kinds: readonly LiftableKernel[];
  /** The combine's key fields (a single utf8 key field is looked up by its bytes). */
  readonly keyFields?: readonly string[];
  /**
   * For fixed or sliding windows of a whole size and period: the period (the size of fixed windows),
   * the distance between two window starts, by which a row's window is numbered from its start.
   */
  readonly windowStep?: number;
}

const LIFTABLE = new Set<string>(["sum", "min", "max", "mean", "count"]);
const LIFTABLE_WINDOWS = new Set<string>(["global", "fixed", "sliding"]);

/**
 * The pre-combine of a hash edge into `consumer`, or null when the combine cannot be lifted: not a
 * flat combine per key; an aggregate other than a count, or sum, min, max or mean of a field; two
 * aggregates of one field; or a windowing other than global, fixed or sliding windows with the
 * default trigger and end-of-window timestamps (so that neither a pane nor an output timestamp
 * depends on which rows were folded together beforehand).
 */
export function liftedCombineOf(graph: PipelineGraph, consumer: GraphTransform, pcollection: string): LiftedCombine | null {
  const payload = payloadOf(consumer, COMBINE_PER_KEY_URN);
  if (!payload || payload.shape !== "flat") return null;
  const strategy = graph.windowingStrategies[graph.pcollections[pcollection]?.windowing];
  if (!strategy || !LIFTABLE_WINDOWS.has(strategy.windowFn.kind) || strategy.trigger.kind !== "default" || strategy.timestampCombiner !== "end_of_window") return null;
  const fields: (string | null)[] = [];
  const kinds: LiftableKernel[] = [];
  for (const a of Object.values(payload.aggregates)) {
    if (!LIFTABLE.has(a.combiner)) return null;
    // A count counts rows whatever its field holds; the others fold their field.
    const field = a.combiner === "count" ? null : a.field;
    if (a.combiner !== "count" && (field === null || fields.includes(field) || payload.keyFields.includes(field))) return null;
    fields.push(field);
    kinds.push(a.combiner as LiftableKernel);
  }
  if (fields.length === 0) return null;
  const fn = strategy.windowFn;
  const step = fn.kind === "fixed" ? fn.size : fn.kind === "sliding" ? fn.period : 0;
  const whole = Number.isInteger(step) && step > 0 && (fn.kind !== "sliding" || Number.isInteger(fn.size));
  return { fields, kinds, keyFields: payload.keyFields, ...(whole ? { windowStep: step } : {}) };
}
