/**
 * The CombineFn contract: associative, commutative aggregation through accumulators, so runners can
 * combine partially before a shuffle (combiner lifting) and merge afterwards.
 */
import type * as arrow from "apache-arrow";

/** An aggregation of inputs `I` through accumulators `A` to an output `O`. */
export interface CombineFn<I, A, O> {
  /** A fresh, empty accumulator. */
  createAccumulator(): A;
  /** Adds one input; may mutate and return `acc`. */
  addInput(acc: A, input: I): A;
  /** Merges accumulators into one; may mutate and return the first. */
  mergeAccumulators(accs: A[]): A;
  /** The result for an accumulator. */
  extractOutput(acc: A): O;
  /** The output's Arrow type given the input's (null for whole rows); inferred from outputs when absent. */
  outputType?(input: arrow.DataType | null): arrow.DataType;
  /**
   * A columnar implementation runners may use instead of `addInput` on typed numeric columns.
   * Built-ins set it; custom CombineFns leave it out and get rows.
   */
  readonly columnar?: ColumnarCombine;
}

/** Names of the columnar kernels runners implement over typed arrays. */
export type ColumnarCombine = "count" | "sum" | "min" | "max" | "mean";

/** One named aggregate of a relational `aggregate(...)`: a CombineFn over one input column (or whole rows). */
export interface AggregateSpec {
  /** The input field, or null for whole rows (count of rows, custom functions of rows). */
  readonly field: string | null;
  readonly fn: CombineFn<any, any, any>;
}

/** The runtime object of a combine-per-key or combine-globally composite. */
export interface CombineRuntime {
  /** Key fields of the input rows; empty to combine globally. */
  readonly keyFields: readonly string[];
  /** Output field name to aggregate. */
  readonly aggregates: Readonly<Record<string, AggregateSpec>>;
  /** How output rows look: the key fields then the aggregates (`flat`), `{key, value}` (`kv`), or the bare value (`value`). */
  readonly shape: "flat" | "kv" | "value";
}

/** URN of a combine-per-key composite (runners may lift it). */
export const COMBINE_PER_KEY_URN = "beam:transform:combine_per_key:v1";
/** URN of a combine-globally composite. */
export const COMBINE_GLOBALLY_URN = "beam:transform:combine_globally:v1";

/** The payload of a {@link COMBINE_PER_KEY_URN} or {@link COMBINE_GLOBALLY_URN} composite: a {@link CombineRuntime} without its functions. */
export interface CombinePayload {
  /** Key fields of the input rows; empty to combine globally. */
  readonly keyFields: readonly string[];
  /** Output field name to the input field it folds (null: whole rows) and its built-in combiner's name (`custom` for a user CombineFn). */
  readonly aggregates: Readonly<Record<string, { readonly field: string | null; readonly combiner: string }>>;
  /** How output rows look, as in {@link CombineRuntime.shape}. */
  readonly shape: CombineRuntime["shape"];
}
