/**
 * Rows ↔ record batches. Rows are plain objects with one key per schema field, or bare values for
 * scalar schemas. Writing validates every value against the schema; reading gives fresh plain values
 * (see columns/index.ts for the conventions).
 */
import * as arrow from "apache-arrow";
import { buildData, dataReader, makeRecordBatch, objectMaker, ValueReader, vectorValues, writeStructChildren } from "./columns";
import { describeSchema, isScalarSchema } from "./schema";

/**
 * Builds a record batch of `schema` from rows (objects, or bare values for a scalar schema), validating
 * each value; missing fields and undefined become null. Throws a SchemaError naming `where`, the row,
 * the field, the value, the expected schema and a fix. `keepStrings`: see `WriteContext.keepStrings`;
 * `count`: only the first `count` rows (default all).
 */
export function rowsToRecordBatch(rows: readonly unknown[], schema: arrow.Schema, where: string, options: { keepStrings?: boolean; count?: number } = {}): arrow.RecordBatch {
  const n = options.count ?? rows.length;
  const get = (i: number) => rows[i];
  const ctx = { where, path: "", rowOf: (i: number) => i, expected: describeSchema(schema), keepStrings: options.keepStrings };
  if (isScalarSchema(schema)) {
    return makeRecordBatch(schema, [buildData(schema.fields[0].type, n, get, ctx)], n);
  }
  const { children } = writeStructChildren(schema.fields, n, get, ctx, true);
  return makeRecordBatch(schema, children, n);
}

/** Reads every row of a batch as fresh plain objects (or bare values for a scalar schema). */
export function recordBatchToRows(batch: arrow.RecordBatch): unknown[] {
  const n = batch.numRows;
  const columns = batch.data.children;
  if (isScalarSchema(batch.schema)) return vectorValues(arrow.makeVector(columns[0]));
  const make = objectMaker(batch.schema.fields.map((f) => f.name), "arrays");
  const values = columns.map((c) => vectorValues(arrow.makeVector(c)));
  const rows = new Array<unknown>(n);
  for (let i = 0; i < n; i++) rows[i] = make(values, i);
  return rows;
}

/** Builds column readers once; the returned function gives the i-th row as a fresh plain object (or bare value for a scalar schema). */
export function rowAccessor(batch: arrow.RecordBatch): (i: number) => unknown {
  const columns = batch.data.children;
  if (isScalarSchema(batch.schema)) return dataReader(columns[0]);
  const make = objectMaker(batch.schema.fields.map((f) => f.name), "readers");
  const readers: ValueReader[] = columns.map(dataReader);
  return (i) => make(readers, i);
}
