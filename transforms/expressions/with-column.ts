/** The withColumn transform: add a computed column or replace one in place. */
import * as arrow from "apache-arrow";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { SCALAR_FIELD, SCALAR_METADATA_KEY } from "../../sdk/schema";
import type { PTransform } from "../../sdk/transform";
import { checkString, nodeOf, type ExprInput } from "./expr";
import { ExprTransform } from "./expr-transform";
import { fieldIndex, outputColumn, type OutputColumn } from "./plan";

/** Adds a column computed by `expr`, or replaces the column of that name in place. */
export function withColumn<I = any, O = any>(name: string, expr: ExprInput): PTransform<PCollection<I>, PCollection<O>> {
  checkString(name, "withColumn(name, expr): name");
  const node = nodeOf(expr);
  const payload = { expressions: { withColumn: name, expr: node } as unknown as JsonValue };
  return new ExprTransform<I, O>("WithColumn", payload, (input, where) => {
    const index = fieldIndex(input);
    const added = outputColumn(name, node, input, index, where);
    const fields = [...input.fields];
    const columns: OutputColumn[] = input.fields.map((f, i) => ({ name: f.name, node: { op: "col", name: f.name }, source: i, type: f.type }));
    const at = index.get(name);
    if (at === undefined) {
      fields.push(added.field);
      columns.push(added.column);
    } else {
      fields[at] = added.field;
      columns[at] = added.column;
    }
    // Rows of bare values stay bare only while their one column is still "value".
    const metadata = new Map(input.metadata);
    if (!(fields.length === 1 && fields[0].name === SCALAR_FIELD)) metadata.delete(SCALAR_METADATA_KEY);
    return { schema: new arrow.Schema(fields, metadata), columns, index };
  });
}
