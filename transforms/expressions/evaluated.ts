/** Evaluated columns: numbers, bools and strings over typed arrays, with a byte mask of present rows. */
import * as arrow from "apache-arrow";

/** One byte per row, 1 where the value is present; null when every value is present. */
export type Mask = Uint8Array | null;

/** An evaluated column. Strings keep UTF-8 bytes and offsets; `off` null means every row is all of `bytes` (a literal). */
export type Col =
  | { readonly k: "num"; readonly cat: "int" | "float" | "ts"; readonly v: Float64Array; readonly valid: Mask }
  | { readonly k: "bool"; readonly v: Uint8Array; readonly valid: Mask }
  | { readonly k: "str"; readonly off: Int32Array | null; readonly bytes: Uint8Array; readonly valid: Mask }
  | { readonly k: "null" }
  | { readonly k: "raw"; readonly valid: Mask };

/** @internal An evaluated number column (ints, floats and timestamps as float64). */
export type NumCol = Extract<Col, { k: "num" }>;
/** @internal An evaluated bool column, a byte per row. */
export type BoolCol = Extract<Col, { k: "bool" }>;
/** @internal An evaluated string column. */
export type StrCol = Extract<Col, { k: "str" }>;

/** @internal What an expression is evaluated over: the batch, its row count and column index, and names for messages. */
export interface Env {
  readonly batch: arrow.RecordBatch;
  readonly n: number;
  readonly index: Map<string, number>;
  readonly where: string;
  readonly expr: string;
}

/** @internal A mask with every row null. */
export function allNull(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** @internal A column as numbers (bools as 0/1; anything else all null). */
export function asNum(c: Col, n: number): NumCol {
  if (c.k === "num") return c;
  if (c.k === "bool") return { k: "num", cat: "int", v: Float64Array.from(c.v), valid: c.valid };
  return { k: "num", cat: "int", v: new Float64Array(n), valid: allNull(n) };
}

/** @internal A column as bools (anything else all null). */
export function asBool(c: Col, n: number): BoolCol {
  if (c.k === "bool") return c;
  return { k: "bool", v: new Uint8Array(n), valid: allNull(n) };
}

/** @internal A column as strings (anything else all null). */
export function asStr(c: Col, n: number): StrCol {
  if (c.k === "str") return c;
  return { k: "str", off: new Int32Array(n + 1), bytes: new Uint8Array(0), valid: allNull(n) };
}

/** Rows valid in both masks. May return one of its inputs: never write to the result. */
export function andMask(a: Mask, b: Mask, n: number): Mask {
  if (a === null) return b;
  if (b === null) return a;
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = a[i] & b[i];
  return m;
}

/** A writable copy of a mask. */
export function freshMask(m: Mask, n: number): Uint8Array {
  return m === null ? new Uint8Array(n).fill(1) : Uint8Array.from(m);
}
