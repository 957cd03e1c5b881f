/**
 * The fold kernels of the built-in combiners (sum, min, max, mean, count) over typed arrays: one loop
 * each, kept small so that they are optimized after a few batches (a thread compiles them itself,
 * and a busy machine leaves the compiler little time). The direct runner's lifted combine folds its
 * accumulators with {@link foldInto} and {@link countInto}; its pre-combine and partial-row tables fold
 * columns of partial results with {@link foldColumn}.
 */

/** A columnar kernel of a built-in combiner. */
export type FoldKernel = "sum" | "min" | "max" | "mean" | "count";

/**
 * Folds the rows of a batch into columnar accumulators: `a[g]`, and `b[g]` for mean (counts, each row
 * counting `weights[i]`, or 1) and min/max (whether any value arrived); rows with a negative group id
 * are skipped.
 */
export function foldInto(kind: string, ids: Int32Array, values: ArrayLike<number>, a: Float64Array, b: Float64Array | undefined, weights: Float64Array | null): void {
  const n = ids.length;
  if (kind === "mean" && weights) {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) {
        a[g] += values[i];
        b![g] += weights[i];
      }
    }
  } else if (kind === "sum") {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) a[g] += values[i];
    }
  } else if (kind === "mean") {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) {
        a[g] += values[i];
        b![g]++;
      }
    }
  } else if (kind === "min") {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) {
        if (values[i] < a[g]) a[g] = values[i];
        b![g] = 1;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) {
        if (values[i] > a[g]) a[g] = values[i];
        b![g] = 1;
      }
    }
  }
}

/** Counts rows into `a` by group (`ids`; negative: skipped), each counting `weights[i]`, or 1. */
export function countInto(ids: Int32Array, a: Float64Array, weights: Float64Array | null): void {
  const n = ids.length;
  if (weights) {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) a[g] += weights[i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = ids[i];
      if (g >= 0) a[g]++;
    }
  }
}

/** Counts the rows of each group (`ids`, all valid) of the first `n` rows into `counts`. */
export function countRowsInto(counts: Float64Array, ids: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) counts[ids[i]]++;
}

/**
 * Folds a column's values (one per row) into `out` by each row's group (`ids`), as `kind` merges
 * (`rows`: input rows per row, which add up). Groups from `from` on are new: a sum starts from 0, a
 * min or max from its first row's value (`firsts[g - from]`).
 */
export function foldColumn(kind: FoldKernel | "rows", out: Float64Array, ids: Int32Array, values: Float64Array, n: number, firsts: Int32Array, from: number): void {
  const to = from + firsts.length;
  if (kind === "min" || kind === "max") {
    for (let g = from; g < to; g++) out[g] = values[firsts[g - from]];
    if (kind === "min") minInto(out, ids, values, n);
    else maxInto(out, ids, values, n);
  } else {
    out.fill(0, from, to);
    sumInto(out, ids, values, n);
  }
}

function sumInto(out: Float64Array, ids: Int32Array, values: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[ids[i]] += values[i];
}

function minInto(out: Float64Array, ids: Int32Array, values: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) if (values[i] < out[ids[i]]) out[ids[i]] = values[i];
}

function maxInto(out: Float64Array, ids: Int32Array, values: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) if (values[i] > out[ids[i]]) out[ids[i]] = values[i];
}
