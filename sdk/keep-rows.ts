/** Keeping some rows of an ElementBatch, with their metadata: what filters emit. */
import { takeMetadata, type ElementBatch } from "./batch";
import { filterRecordBatch } from "./columns";

/** The rows of `batch` whose `keep` flag is 1 (`kept` of them): the batch itself when all are, null when none is. */
export function keepRows(batch: ElementBatch, keep: Uint8Array, kept: number): ElementBatch | null {
  const n = batch.data.numRows;
  if (kept === 0) return null;
  if (kept === n) return batch;
  const idx = new Int32Array(kept);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) idx[k++] = i;
  return { data: filterRecordBatch(batch.data, keep), ...takeMetadata(batch, idx) };
}
