/**
 * Built-in aggregations. Each is a CombineFn (usable with combinePerKey and combineGlobally) bound to
 * an optional input field (for relational `groupBy(...).aggregate({...})`). Count, sum, min, max and
 * mean also declare a columnar kernel, so runners aggregate typed columns without per-row objects.
 */
import * as arrow from "apache-arrow";
import type { AggregateSpec, CombineFn } from "../sdk/combine";

/** A CombineFn bound to an input field (null: the whole element). */
export type Aggregation<O = unknown> = AggregateSpec & { readonly fn: CombineFn<any, any, O> };

const numericOut = (): arrow.DataType => new arrow.Float64();

/** Counts elements (or rows): an int64 per group. */
export function count(field: string | null = null): Aggregation<number> {
  return {
    field,
    fn: {
      createAccumulator: () => 0,
      addInput: (acc: number) => acc + 1,
      mergeAccumulators: (accs: number[]) => accs.reduce((a, b) => a + b, 0),
      extractOutput: (acc: number) => acc,
      outputType: () => new arrow.Int64(),
      columnar: "count",
    },
  };
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new TypeError(`expected a number, got ${typeof v} ${JSON.stringify(v)}; sum, min, max and mean need numeric fields`);
}

/** Sums a numeric field (nulls ignored): a float64 per group. */
export function sum(field: string | null = null): Aggregation<number> {
  return {
    field,
    fn: {
      createAccumulator: () => 0,
      addInput: (acc: number, v: unknown) => acc + (toNumber(v) ?? 0),
      mergeAccumulators: (accs: number[]) => accs.reduce((a, b) => a + b, 0),
      extractOutput: (acc: number) => acc,
      outputType: numericOut,
      columnar: "sum",
    },
  };
}

function extreme(field: string | null, kind: "min" | "max"): Aggregation<number | null> {
  const better = kind === "min" ? (a: number, b: number) => b < a : (a: number, b: number) => b > a;
  return {
    field,
    fn: {
      createAccumulator: () => null as number | null,
      addInput: (acc: number | null, v: unknown) => {
        const x = toNumber(v);
        return x === null ? acc : acc === null || better(acc, x) ? x : acc;
      },
      mergeAccumulators: (accs: (number | null)[]) =>
        accs.reduce<number | null>((a, b) => (b === null ? a : a === null || better(a, b) ? b : a), null),
      extractOutput: (acc: number | null) => acc,
      outputType: numericOut,
      columnar: kind,
    },
  };
}

/** The smallest value of a numeric field (null when there is none). */
export function min(field: string | null = null): Aggregation<number | null> {
  return extreme(field, "min");
}

/** The largest value of a numeric field (null when there is none). */
export function max(field: string | null = null): Aggregation<number | null> {
  return extreme(field, "max");
}

/** The arithmetic mean of a numeric field (nulls ignored; null when there is no value). */
export function mean(field: string | null = null): Aggregation<number | null> {
  return {
    field,
    fn: {
      createAccumulator: () => ({ sum: 0, count: 0 }),
      addInput: (acc: { sum: number; count: number }, v: unknown) => {
        const x = toNumber(v);
        if (x !== null) {
          acc.sum += x;
          acc.count++;
        }
        return acc;
      },
      mergeAccumulators: (accs: { sum: number; count: number }[]) =>
        accs.reduce((a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }), { sum: 0, count: 0 }),
      extractOutput: (acc: { sum: number; count: number }) => (acc.count === 0 ? null : acc.sum / acc.count),
      outputType: () => new arrow.Float64(),
      columnar: "mean",
    },
  };
}

/** Binds a custom CombineFn to a field (null: whole elements). */
export function aggregateWith<I, A, O>(fn: CombineFn<I, A, O>, field: string | null = null): Aggregation<O> {
  return { field, fn };
}
