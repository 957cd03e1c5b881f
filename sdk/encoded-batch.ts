/**
 * Encoded batches: a runner may encode rows with a sink's `encode` where they are produced (on other
 * threads) and hand the sink's writer the bytes, one binary value per batch, with the row count.
 */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, type ElementBatch } from "./batch";
import { makeRecordBatch } from "./columns";

/** Schema metadata of an encoded batch: how many rows its bytes stand for. */
const ENCODED_ROWS = "beamline.encodedRows";
const ENCODED_FIELD = new arrow.Field("encoded", new arrow.Binary(), false);

/** A batch carrying the bytes a sink's `encode` gave for `rows` rows: one binary value. */
export function encodedBatch(bytes: Uint8Array, rows: number): ElementBatch {
  const schema = new arrow.Schema([ENCODED_FIELD], new Map([[ENCODED_ROWS, String(rows)]]));
  const data = arrow.makeData({ type: ENCODED_FIELD.type as arrow.Binary, length: 1, nullCount: 0, valueOffsets: Int32Array.from([0, bytes.length]), data: bytes });
  return { data: makeRecordBatch(schema, [data], 1), timestamps: new Float64Array(1), windows: GLOBAL_WINDOWS };
}

/** The bytes of an {@link encodedBatch}, or null for any other batch. */
export function encodedBytes(batch: ElementBatch): Uint8Array | null {
  if (!batch.data.schema.metadata.has(ENCODED_ROWS)) return null;
  const d = batch.data.data.children[0];
  const offsets = d.valueOffsets as Int32Array;
  return (d.values as Uint8Array).subarray(offsets[0], offsets[1]);
}

/** The rows a batch stands for: its own, or those its encoded bytes stand for. */
export function rowsOf(batch: ElementBatch): number {
  const encoded = batch.data.schema.metadata.get(ENCODED_ROWS);
  return encoded === undefined ? batch.data.numRows : Number(encoded);
}
