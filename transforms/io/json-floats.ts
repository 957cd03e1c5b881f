/**
 * Floats JSON cannot hold: `NaN`, `Infinity` and `-Infinity` are written to JSON as the strings
 * `"NaN"`, `"Infinity"` and `"-Infinity"` (as protobuf's JSON mapping does), and read back from those
 * strings wherever the schema has a float, at any depth (struct fields, list elements).
 */
import * as arrow from "apache-arrow";
import { isScalarSchema } from "../../sdk/schema";

/** The strings that stand for the floats JSON cannot hold. */
const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** Replaces what a value holds at float positions of `type`; returns the value (changed in place when it is an object). */
type Fix = (v: unknown) => unknown;

/**
 * @internal A function that turns the strings `"NaN"`, `"Infinity"` and `"-Infinity"` at the float
 * positions of `schema` into numbers, in parsed JSON rows (in place); it returns whether it changed
 * any. Null when the schema has no float.
 */
export function nonFiniteFloatReader(schema: arrow.Schema): ((rows: unknown[]) => boolean) | null {
  let changed = false;
  const replaced = () => (changed = true);
  const fix = isScalarSchema(schema) ? fixFor(schema.fields[0].type, replaced) : fixFor(new arrow.Struct(schema.fields), replaced);
  if (!fix) return null;
  return (rows) => {
    changed = false;
    for (let i = 0; i < rows.length; i++) rows[i] = fix(rows[i]);
    return changed;
  };
}

/** The fix for values of `type`, calling `replaced` for each string it turns into a number; null when `type` holds no float. */
function fixFor(type: arrow.DataType, replaced: () => void): Fix | null {
  if (arrow.DataType.isFloat(type)) {
    return (v) => {
      if (typeof v !== "string" || !Object.hasOwn(NON_FINITE, v)) return v;
      replaced();
      return NON_FINITE[v];
    };
  }
  if (arrow.DataType.isStruct(type)) {
    const fields = type.children.flatMap((f) => {
      const fix = fixFor(f.type, replaced);
      return fix ? [[f.name, fix] as const] : [];
    });
    if (fields.length === 0) return null;
    return (v) => {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
      const o = v as Record<string, unknown>;
      for (const [name, fix] of fields) if (name in o) o[name] = fix(o[name]);
      return v;
    };
  }
  if (arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) {
    const fix = fixFor(type.children[0].type, replaced);
    if (!fix) return null;
    return (v) => {
      if (!Array.isArray(v)) return v;
      for (let i = 0; i < v.length; i++) v[i] = fix(v[i]);
      return v;
    };
  }
  return null;
}
