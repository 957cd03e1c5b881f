/** Record batches over given columns that keep the very schema object given. */
import * as arrow from "apache-arrow";

/** @internal Builds a RecordBatch over `children` that keeps the very `schema` object given (metadata included). */
export function makeRecordBatch(schema: arrow.Schema, children: arrow.Data[], length: number): arrow.RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  const batch = new arrow.RecordBatch(schema, data);
  if (batch.schema !== schema) (batch as { schema: arrow.Schema }).schema = schema;
  return batch;
}
