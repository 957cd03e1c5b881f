/** Filtering a record batch by a keep mask. */
import * as arrow from "apache-arrow";
import { BeamlineError } from "../errors";
import { makeRecordBatch } from "./make-record-batch";
import { takeData } from "./take";

/** Keeps the rows whose `keep[i]` is non-zero, in order. Keeps the batch's schema. */
export function filterRecordBatch(batch: arrow.RecordBatch, keep: Uint8Array): arrow.RecordBatch {
  const n = batch.numRows;
  if (keep.length < n) {
    throw new BeamlineError({
      code: "BL_FILTER_MASK_LENGTH",
      domain: "internal",
      where: "filterRecordBatch",
      value: keep.length,
      rule: `the keep mask has ${keep.length} entries but the batch has ${n} rows`,
      fix: "pass one mask entry per row",
    });
  }
  let count = 0;
  for (let i = 0; i < n; i++) if (keep[i] !== 0) count++;
  if (count === n) return batch;
  const indices = new Int32Array(count);
  for (let i = 0, j = 0; i < n; i++) if (keep[i] !== 0) indices[j++] = i;
  return makeRecordBatch(batch.schema, batch.data.children.map((c) => takeData(c, indices)), count);
}
