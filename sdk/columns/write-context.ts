/** Where written values come from, and the schema errors that name the row and field of a bad value. */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";
import { describeType, suggestFieldType } from "../schema";

/** @internal Where values being written come from, for error messages. */
export interface WriteContext {
  /** The transform or call site. */
  readonly where: string;
  /** The field path (`count`, `items[].price`); empty for bare values. */
  readonly path: string;
  /** The row index of the i-th value being written. */
  readonly rowOf: (i: number) => number;
  /** The whole schema, described, when writing rows. */
  readonly expected?: string;
  /**
   * Whether a string column keeps the strings it was written from, so that reading it back needs no
   * decoding (true by default). Kept strings live as long as the column: where nothing will read the
   * values back as strings, not keeping them spares the garbage collector.
   */
  readonly keepStrings?: boolean;
}

/** @internal What kind of value `v` is, for messages ("a string", "an array"). */
export function kindName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a Date";
  if (v instanceof Uint8Array) return "a Uint8Array";
  if (typeof v === "object") {
    const name = Object.getPrototypeOf(v)?.constructor?.name as string | undefined;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof v === "number" && !Number.isInteger(v)) return Number.isFinite(v) ? "a non-integer number" : `${v}`;
  return `a ${typeof v}`;
}

/** @internal The error for a value that does not fit the column's type, naming row, field and a fix. */
export function mismatch(ctx: WriteContext, i: number, type: arrow.DataType, v: unknown, rule?: string, fix?: string): SchemaError {
  const field = ctx.path ? `field "${ctx.path}"` : "value";
  const expected = ctx.expected ? ` (schema ${ctx.expected})` : "";
  return new SchemaError({
    code: "BL_SCHEMA_MISMATCH",
    where: ctx.where,
    value: v,
    rule: `row ${ctx.rowOf(i)}, ${field}: ${rule ?? `expected ${describeType(type)}, got ${kindName(v)}`}${expected}`,
    fix: fix ?? `emit a ${describeType(type)} there (or null), or declare ${declared(ctx)} as ${suggestFieldType(v)} to match the data`,
  });
}

/** @internal How messages name what is being written: the field, or the value type. */
export function declared(ctx: WriteContext): string {
  return ctx.path ? `field "${ctx.path}"` : "the value type";
}
