/** Empty (0-row) columns and record batches of a type or schema. */
import * as arrow from "apache-arrow";
import { buildData } from "./build-data";
import { makeRecordBatch } from "./make-record-batch";

/** @internal An empty (0-row) Data chunk of a type. */
export function emptyData(type: arrow.DataType): arrow.Data {
  return buildData(type, 0, () => null, { where: "emptyRecordBatch", path: "", rowOf: (i) => i });
}

/** A batch with no rows whose columns have the schema's types. Keeps `schema`. */
export function emptyRecordBatch(schema: arrow.Schema): arrow.RecordBatch {
  return makeRecordBatch(schema, schema.fields.map((f) => emptyData(f.type)), 0);
}
