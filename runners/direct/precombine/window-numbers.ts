/**
 * Numbering the windows of a batch's rows for a pre-combine: each row gets a small index of its
 * window, so that rows are grouped by key and window with a key table (or a dense slot range) per
 * window number.
 */

/** A batch whose rows fall into more windows than this is sent as it is. */
export const MAX_WINDOWS = 64;

/**
 * Numbers rows by their window (`start`, `end` per row) in order of first appearance, into
 * `windowOf`; returns how many windows, or -1 when there are more than {@link MAX_WINDOWS}.
 */
export function windowIndexes(start: Float64Array, end: Float64Array, n: number, windowOf: Int32Array): number {
  const starts = new Float64Array(MAX_WINDOWS);
  const ends = new Float64Array(MAX_WINDOWS);
  let count = 0;
  let w = -1;
  // The current row's window, unboxed: rows of one window mostly come together.
  let cs = NaN;
  let ce = NaN;
  for (let i = 0; i < n; i++) {
    const s = start[i];
    const e = end[i];
    if (s !== cs || e !== ce) {
      w = 0;
      while (w < count && (starts[w] !== s || ends[w] !== e)) w++;
      if (w === count) {
        if (count === MAX_WINDOWS) return -1;
        starts[count] = s;
        ends[count] = e;
        count++;
      }
      cs = s;
      ce = e;
    }
    windowOf[i] = w;
  }
  return count;
}

/**
 * {@link windowIndexes} for windows whose starts are whole multiples of `step` apart (fixed and
 * sliding windows of a whole size and period, whose end follows from their start): a row's window is
 * numbered by its start's distance from the batch's earliest start, in steps. Returns how many window
 * numbers the batch spans (some may have no rows), or -1 when more than {@link MAX_WINDOWS}.
 */
export function windowSteps(start: Float64Array, n: number, step: number, windowOf: Int32Array): number {
  if (n === 0) return 0;
  let lo = start[0];
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const s = start[i];
    if (s < lo) lo = s;
    else if (s > hi) hi = s;
  }
  const count = Math.round((hi - lo) / step) + 1;
  if (count > MAX_WINDOWS) return -1;
  for (let i = 0; i < n; i++) windowOf[i] = Math.round((start[i] - lo) / step);
  return count;
}
