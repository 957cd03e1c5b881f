/** Readers over whole (possibly multi-chunk) vectors. */
import * as arrow from "apache-arrow";
import { dataReader } from "./data-reader";
import type { ValueReader } from "./plain-values";

/**
 * Builds a reader over a (possibly multi-chunk) vector once; the reader returns the i-th value as a
 * fresh plain JavaScript value (see the module doc for the conventions).
 */
export function valueReader(vector: arrow.Vector): ValueReader {
  const chunks = vector.data;
  if (chunks.length === 1) return dataReader(chunks[0]);
  if (chunks.length === 0) return () => null;
  const readers = chunks.map(dataReader);
  const starts = new Array<number>(chunks.length + 1);
  starts[0] = 0;
  for (let c = 0; c < chunks.length; c++) starts[c + 1] = starts[c] + chunks[c].length;
  let c = 0;
  return (i) => {
    if (i < starts[c] || i >= starts[c + 1]) {
      let lo = 0;
      let hi = chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= i) lo = mid; else hi = mid - 1;
      }
      c = lo;
    }
    return readers[c](i - starts[c]);
  };
}

/** @internal Reads every value of a vector into a plain array (strings decoded per offset range). */
export function vectorValues(vector: arrow.Vector): unknown[] {
  const out = new Array<unknown>(vector.length);
  let pos = 0;
  for (const data of vector.data) {
    const read = dataReader(data);
    for (let i = 0; i < data.length; i++) out[pos++] = read(i);
  }
  return out;
}
