/**
 * Top-n: an aggregation keeping the n largest (or smallest) values, or whole rows ranked by a field or
 * a comparator. The accumulator is a bounded binary heap whose root is the worst element kept, so each
 * input costs O(log n) and memory stays O(n) per group.
 */
import * as arrow from "apache-arrow";
import type { CombineFn } from "../sdk/combine";
import { PipelineConstructionError, SchemaError } from "../sdk/errors";
import type { Aggregation } from "./combiners";

/** Options of {@link top}. */
export interface TopOptions<T = unknown> {
  /** The input field to rank (its values are the output); absent for bare values or whole rows. */
  readonly field?: string;
  /** Ranks whole elements by this field of theirs, or by a comparator (negative when a < b); the elements are the output. */
  readonly by?: string | ((a: T, b: T) => number);
  /** Keep the largest (default) or the smallest. */
  readonly order?: "largest" | "smallest";
}

/** The accumulator of {@link top}: a heap array whose root (index 0) is the worst element kept. */
export type TopAccumulator<T> = T[];

/** The natural order of numbers, bigints, strings, booleans and Dates (numbers and bigints compare with each other). */
export function naturalCompare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  throw new TypeError(
    `top cannot compare ${describe(a)} with ${describe(b)}; it ranks numbers, bigints, strings, booleans and Dates — rank rows with { by: "field" } or a comparator`,
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return `${typeof v} ${JSON.stringify(typeof v === "bigint" ? String(v) : v)}`;
}

/** The CombineFn of {@link top} with its comparator; also usable on its own with combinePerKey or combineGlobally. */
export function topCombineFn<T>(n: number, options: Omit<TopOptions<T>, "field"> & { field?: string } = {}): CombineFn<T, TopAccumulator<T>, T[]> {
  const by = options.by;
  const sign = options.order === "smallest" ? -1 : 1;
  // rank(a, b) > 0 when a is better than b.
  const rank: (a: T, b: T) => number =
    by === undefined
      ? (a, b) => sign * naturalCompare(a, b)
      : typeof by === "string"
        ? (a, b) => sign * naturalCompare((a as Record<string, unknown>)[by], (b as Record<string, unknown>)[by])
        : (a, b) => sign * by(a, b);
  const skip =
    typeof by === "string"
      ? (x: T) => x === null || x === undefined || (x as Record<string, unknown>)[by] === null || (x as Record<string, unknown>)[by] === undefined
      : (x: T) => x === null || x === undefined;

  // Min-heap on rank: the root is the worst kept element.
  const siftUp = (h: T[], i: number) => {
    const x = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (rank(h[p], x) <= 0) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
  };
  const siftDown = (h: T[], i: number) => {
    const len = h.length;
    const x = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= len) break;
      if (c + 1 < len && rank(h[c + 1], h[c]) < 0) c++;
      if (rank(h[c], x) >= 0) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  };
  const add = (h: T[], x: T): T[] => {
    if (skip(x) || n === 0) return h;
    if (h.length < n) {
      h.push(x);
      siftUp(h, h.length - 1);
    } else if (rank(x, h[0]) > 0) {
      h[0] = x;
      siftDown(h, 0);
    }
    return h;
  };
  return {
    createAccumulator: () => [],
    addInput: add,
    mergeAccumulators: (accs: T[][]) => {
      if (accs.length === 0) return [];
      const [first, ...rest] = accs;
      const out = first ?? [];
      for (const a of rest) for (const x of a ?? []) add(out, x);
      return out;
    },
    extractOutput: (h: T[]) => [...h].sort((a, b) => rank(b, a)),
  };
}

/**
 * The n largest (or smallest) values of a field, or the n best elements by a field or comparator, as a
 * list sorted best first. Nulls (or elements whose `by` field is null) are skipped.
 * @example groupBy("player").aggregate({ best: top(3, { field: "score" }) })
 */
export function top<T = unknown>(n: number, options: TopOptions<T> = {}): Aggregation<T[]> {
  if (!Number.isInteger(n) || n < 0) {
    throw new PipelineConstructionError({
      code: "BL_BAD_TOP_COUNT",
      value: n,
      rule: "top(n) needs a non-negative integer n",
      fix: "pass e.g. top(3, { field: \"score\" })",
    });
  }
  if (options.order !== undefined && options.order !== "largest" && options.order !== "smallest") {
    throw new PipelineConstructionError({
      code: "BL_BAD_TOP_ORDER",
      value: options.order,
      rule: 'the order of top must be "largest" or "smallest"',
      fix: 'pass { order: "smallest" } to keep the smallest values',
    });
  }
  const field = options.field ?? null;
  const fn: CombineFn<T, TopAccumulator<T>, T[]> = topCombineFn(n, options);
  // The output type is the list of the input's type; for whole rows ranked by a field it is inferred.
  if (field !== null || options.by === undefined) {
    (fn as { outputType?: CombineFn<T, TopAccumulator<T>, T[]>["outputType"] }).outputType = (input) => {
      if (!input) {
        throw new SchemaError({
          code: "BL_TOP_WHOLE_ROWS",
          value: `top(${n})`,
          rule: "top without a field or `by` ranks bare values, but these elements are rows with several fields",
          fix: `pass the field to rank, top(${n}, { field: "score" }), or rank whole rows with top(${n}, { by: "score" })`,
        });
      }
      return new arrow.List(new arrow.Field("item", input, true));
    };
  }
  return { field, fn };
}
