/** Checking columns against the schema of the batch they are to form. */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";
import { describeType } from "../schema";

/** @internal Checks that column types match the schema's fields, in number and order. */
export function checkColumns(schema: arrow.Schema, types: readonly arrow.DataType[], where: string, what: string): void {
  if (types.length !== schema.fields.length) {
    throw new SchemaError({
      code: "BL_SCHEMA_MISMATCH",
      domain: "internal",
      where,
      value: types.map(String),
      rule: `${what} has ${types.length} columns but the schema ${describeSchemaFields(schema)} has ${schema.fields.length}`,
      fix: "pass one column per schema field, in schema order",
    });
  }
  for (let i = 0; i < types.length; i++) {
    if (!arrow.util.compareTypes(types[i], schema.fields[i].type)) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        domain: "internal",
        where,
        value: describeType(types[i]),
        rule: `${what}: column ${i} ("${schema.fields[i].name}") has type ${describeType(types[i])} but the schema says ${describeType(schema.fields[i].type)}`,
        fix: "build the column with the schema's type, or change the schema",
      });
    }
  }
}

function describeSchemaFields(schema: arrow.Schema): string {
  return describeType(new arrow.Struct(schema.fields));
}
