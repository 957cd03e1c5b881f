/**
 * Percentiles of a sample by the nearest-rank method: the q-quantile of n sorted values is the value
 * of rank ceil(q · n) (1-based), so every percentile is a value that was measured, p100 is the largest.
 */

/** The values at quantiles `qs` (each in (0, 1]) of `values`, by nearest rank; NaN for each when `values` is empty. */
export function percentiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  for (const q of qs) if (!(q > 0 && q <= 1)) throw new RangeError(`a quantile is in (0, 1]; got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return qs.map((q) => (n === 0 ? NaN : sorted[Math.min(n, Math.ceil(q * n - 1e-9)) - 1]));
}
