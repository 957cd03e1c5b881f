/**
 * Rows as JSON text, column by column: each field's JSON is made by a writer chosen once per column
 * (strings quoted by the engine, numbers and booleans printed, anything else through `toJson`), then
 * joined under pre-quoted keys, with no row object and no replacer call per value. The text is what
 * `toJson` gives the row object.
 */
import * as arrow from "apache-arrow";
import { dataReader } from "../../sdk/columns";
import { isScalarSchema } from "../../sdk/schema";
import { toJson } from "./to-json";

type Fragment = (i: number) => string;

/** The JSON of one column's values. */
function fragment(data: arrow.Data): Fragment {
  const read = dataReader(data);
  switch (data.type.typeId) {
    case arrow.Type.Utf8:
      return (i) => {
        const v = read(i);
        return typeof v === "string" ? JSON.stringify(v) : toJson(v);
      };
    case arrow.Type.Int:
    case arrow.Type.Float:
      return (i) => {
        const v = read(i);
        return typeof v === "number" && Number.isFinite(v) ? String(v) : toJson(v);
      };
    case arrow.Type.Bool:
      return (i) => {
        const v = read(i);
        return v === true ? "true" : v === false ? "false" : "null";
      };
    default:
      return (i) => toJson(read(i));
  }
}

/** A function giving row `i` of `batch` as JSON text (the bare value's JSON for a scalar schema). */
export function rowJson(batch: arrow.RecordBatch): (i: number) => string {
  const columns = batch.data.children;
  if (isScalarSchema(batch.schema)) return fragment(columns[0]);
  const keys = batch.schema.fields.map((f, k) => `${k === 0 ? "{" : ","}${JSON.stringify(f.name)}:`);
  const values = columns.map(fragment);
  const n = keys.length;
  if (n === 0) return () => "{}";
  return (i) => {
    let s = keys[0] + values[0](i);
    for (let k = 1; k < n; k++) s += keys[k] + values[k](i);
    return s + "}";
  };
}
