/**
 * Arrow data inside checkpoint state, in forms a structured clone (`v8.serialize`) keeps, unlike
 * Arrow JS's class instances: record batches in the thread transport's wire form (which rebuilds
 * the same type classes live batches have), schemas as Arrow IPC stream bytes.
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../../sdk/batch";
import { emptyRecordBatch } from "../../../sdk/columns";
import { decodeBatch, encodeBatch, type WireBatch } from "./batch-codec";

/** A record batch as plain data (its schema included, even with no rows). */
export function batchToState(batch: arrow.RecordBatch): WireBatch {
  return encodeBatch(globalBatch(batch), false).message;
}

/** The record batch of {@link batchToState}. */
export function batchFromState(state: WireBatch): arrow.RecordBatch {
  return decodeBatch(state).data;
}

/** A schema as IPC stream bytes. */
export function schemaToBytes(schema: arrow.Schema): Uint8Array {
  return arrow.tableToIPC(new arrow.Table(schema, [emptyRecordBatch(schema)]), "stream");
}

/** The schema of {@link schemaToBytes}. */
export function schemaFromBytes(bytes: Uint8Array): arrow.Schema {
  return arrow.tableFromIPC(bytes).schema;
}
