/** Assembling a record batch from one vector per schema field. */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";
import { checkColumns } from "./check-columns";
import { singleData } from "./concat";
import { makeRecordBatch } from "./make-record-batch";

/** Assembles a batch from one vector per schema field (multi-chunk vectors are combined); all must have equal length. Keeps `schema`. */
export function recordBatchFromColumns(schema: arrow.Schema, columns: readonly arrow.Vector[]): arrow.RecordBatch {
  checkColumns(schema, columns.map((c) => c.type), "recordBatchFromColumns", "the column list");
  const length = columns.length ? columns[0].length : 0;
  for (let i = 0; i < columns.length; i++) {
    if (columns[i].length !== length) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        domain: "internal",
        where: "recordBatchFromColumns",
        value: columns.map((c) => c.length),
        rule: `column ${i} ("${schema.fields[i].name}") has ${columns[i].length} rows but column 0 has ${length}`,
        fix: "pass columns of equal length",
      });
    }
  }
  return makeRecordBatch(schema, columns.map(singleData), length);
}
