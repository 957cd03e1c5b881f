/**
 * Combining before a hash exchange. When the consumer of a hash edge is a combine per key whose
 * aggregates merge the way they add (sum, min and max of a field: the sum of partial sums is the
 * sum), the sending side collapses each batch to one row per key before routing it: the aggregated
 * fields hold the partial result, every other field the key's first row. The receiving combine then
 * folds partial rows exactly as it folds input rows, and far fewer rows cross the threads.
 */
import * as arrow from "apache-arrow";
import { takeMetadata, type ElementBatch } from "../../../sdk/batch";
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { makeRecordBatch, takeRecordBatch } from "../../../sdk/columns";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import type { KeyPrimitive } from "../keys";

/** A kernel whose merge of partial results equals adding the inputs. */
export type LiftableKernel = "sum" | "min" | "max";

/** What an exchange pre-combines: per aggregated field, its kernel. */
export interface LiftedCombine {
  readonly fields: readonly string[];
  readonly kinds: readonly LiftableKernel[];
}

const LIFTABLE = new Set<string>(["sum", "min", "max"]);

/** A pre-combine that keeps more than this share of a batch's rows is not worth sending instead. */
const MAX_KEPT = 0.7;
/** Batches sent as they are after a pre-combine that was not worth it, before trying again. */
const BACK_OFF = 16;

/**
 * Pre-combines the batches of one exchange while it pays: after a batch whose keys were nearly all
 * distinct (many keys, few repeats), the next {@link BACK_OFF} batches go out as they are.
 */
export class PreCombiner {
  private skip = 0;

  constructor(readonly lift: LiftedCombine) {}

  /** The collapsed batch and its keys, or null to send the batch as it is. */
  apply(batch: ElementBatch, keys: readonly KeyPrimitive[]): { batch: ElementBatch; keys: KeyPrimitive[] } | null {
    if (this.skip > 0) {
      this.skip--;
      return null;
    }
    const out = preCombine(batch, keys, this.lift);
    if (!out) this.skip = BACK_OFF;
    return out;
  }
}

/**
 * The pre-combine of a hash edge into `consumer`, or null when the combine cannot be lifted: not a
 * flat combine per key; an aggregate other than sum, min or max of a field; two aggregates of one
 * field; or a windowing other than the global window with the default trigger.
 */
export function liftedCombineOf(graph: PipelineGraph, consumer: GraphTransform, pcollection: string): LiftedCombine | null {
  if (consumer.urn !== COMBINE_PER_KEY_URN) return null;
  const payload = consumer.payload as { keyFields?: string[]; shape?: string; aggregates?: Record<string, { field: string | null; combiner: string }> } | null;
  if (!payload || payload.shape !== "flat" || !payload.aggregates) return null;
  const strategy = graph.windowingStrategies[graph.pcollections[pcollection]?.windowing];
  if (!strategy || strategy.windowFn.kind !== "global" || strategy.trigger.kind !== "default" || strategy.timestampCombiner !== "end_of_window") return null;
  const fields: string[] = [];
  const kinds: LiftableKernel[] = [];
  for (const a of Object.values(payload.aggregates)) {
    if (a.field === null || !LIFTABLE.has(a.combiner) || fields.includes(a.field) || (payload.keyFields ?? []).includes(a.field)) return null;
    fields.push(a.field);
    kinds.push(a.combiner as LiftableKernel);
  }
  return fields.length > 0 ? { fields, kinds } : null;
}

/**
 * Collapses a batch to one row per key (keys as `encodeKeys` gives them). Returns null, leaving the
 * batch as it is, when it is not in the global window, an aggregated field is not a null-free
 * float64 column of one chunk, or too few rows share a key for collapsing to pay.
 */
export function preCombine(batch: ElementBatch, keys: readonly KeyPrimitive[], lift: LiftedCombine): { batch: ElementBatch; keys: KeyPrimitive[] } | null {
  if (batch.windows.kind !== "global") return null;
  const rb = batch.data;
  const n = rb.numRows;
  const inputs: Float64Array[] = [];
  const columns: number[] = [];
  for (const f of lift.fields) {
    const index = rb.schema.fields.findIndex((x) => x.name === f);
    const col = index < 0 ? null : rb.getChildAt(index);
    if (!col || col.data.length !== 1 || col.nullCount > 0 || !(col.data[0].values instanceof Float64Array)) return null;
    inputs.push((col.data[0].values as Float64Array).subarray(0, n));
    columns.push(index);
  }
  const groupOf = new Map<KeyPrimitive, number>();
  const firsts = new Int32Array(n);
  const ids = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let g = groupOf.get(k);
    if (g === undefined) {
      g = m++;
      groupOf.set(k, g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  if (m > n * MAX_KEPT) return null;
  const rows = firsts.slice(0, m);
  const outputs = inputs.map((values, c) => {
    const kind = lift.kinds[c];
    const out = new Float64Array(m);
    if (kind === "sum") {
      for (let i = 0; i < n; i++) out[ids[i]] += values[i];
    } else {
      for (let g = 0; g < m; g++) out[g] = values[rows[g]];
      if (kind === "min") for (let i = 0; i < n; i++) { if (values[i] < out[ids[i]]) out[ids[i]] = values[i]; }
      else for (let i = 0; i < n; i++) { if (values[i] > out[ids[i]]) out[ids[i]] = values[i]; }
    }
    return out;
  });
  const taken = takeRecordBatch(rb, rows);
  const children = taken.data.children.slice();
  columns.forEach((index, c) => {
    children[index] = arrow.makeData({ type: children[index].type as arrow.Float64, length: m, nullCount: 0, data: outputs[c] });
  });
  const out: ElementBatch = { data: makeRecordBatch(rb.schema, children, m), ...takeMetadata(batch, rows) };
  const outKeys = new Array<KeyPrimitive>(m);
  for (let g = 0; g < m; g++) outKeys[g] = keys[rows[g]];
  return { batch: out, keys: outKeys };
}
