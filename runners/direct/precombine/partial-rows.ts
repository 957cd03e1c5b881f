/**
 * The column of input rows per row that a pre-combined batch carries: the partial rows an exchange
 * sends (see `partial-table.ts`) have one more float64 column, named by its schema's {@link PARTIAL_ROWS_METADATA}, saying
 * how many input rows each row stands for (what a count or a mean's count adds up). The receiving
 * combine takes it off ({@link splitPartialRows}) and folds partial rows weighted by it.
 */
import * as arrow from "apache-arrow";
import { makeRecordBatch } from "../../../sdk/columns";

/** Schema metadata of a pre-combined batch: the name of its column of input rows per row. */
export const PARTIAL_ROWS_METADATA = "beamline.partialRows";

/** A schema with one more float64 column, of input rows per row, named by its metadata. */
export function partialRowsSchema(schema: arrow.Schema): arrow.Schema {
  let name = "partialRows";
  while (schema.fields.some((f) => f.name === name)) name = `_${name}`;
  const metadata = new Map(schema.metadata);
  metadata.set(PARTIAL_ROWS_METADATA, name);
  return new arrow.Schema([...schema.fields, new arrow.Field(name, new arrow.Float64(), false)], metadata);
}

const withoutPartialRows = new WeakMap<arrow.Schema, arrow.Schema>();

/**
 * A batch as the receiving combine folds it: a pre-combined batch without its column of input rows
 * per row, and that column; any other batch as it is, with null (each row is one input row).
 */
export function splitPartialRows(data: arrow.RecordBatch): { data: arrow.RecordBatch; partialRows: Float64Array | null } {
  const schema = data.schema;
  const name = schema.metadata.get(PARTIAL_ROWS_METADATA);
  const last = schema.fields.length - 1;
  if (name === undefined || schema.fields[last]?.name !== name) return { data, partialRows: null };
  let stripped = withoutPartialRows.get(schema);
  if (!stripped) {
    const metadata = new Map(schema.metadata);
    metadata.delete(PARTIAL_ROWS_METADATA);
    withoutPartialRows.set(schema, (stripped = new arrow.Schema(schema.fields.slice(0, last), metadata)));
  }
  const children = data.data.children;
  const rows = children[last];
  const partialRows = (rows.values as Float64Array).subarray(0, data.numRows);
  return { data: makeRecordBatch(stripped, children.slice(0, last), data.numRows), partialRows };
}
