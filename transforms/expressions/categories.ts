/** The logical type categories operators accept, and the Arrow types computed values are written as. */
import * as arrow from "apache-arrow";

/** Logical type categories: what operators accept. `other` columns can only be passed through or null-tested. */
export type Cat = "int" | "float" | "bool" | "string" | "ts" | "null" | "other";

/** @internal The type of an expression: its category and the Arrow type it is written as. */
export interface Typed {
  readonly cat: Cat;
  /** The Arrow type the value is written as when it is an output column. */
  readonly type: arrow.DataType;
}

/** @internal int64. */
export const T_INT64 = new arrow.Int64();
/** @internal int32. */
export const T_INT32 = new arrow.Int32();
/** @internal float64. */
export const T_FLOAT64 = new arrow.Float64();
/** @internal bool. */
export const T_BOOL = new arrow.Bool();
/** @internal utf8. */
export const T_UTF8 = new arrow.Utf8();
/** @internal The null type. */
const T_NULL = new arrow.Null();
/** @internal Timestamps in milliseconds. */
const T_TS = new arrow.TimestampMillisecond();

/** @internal The category of an Arrow type. */
export function catOf(type: arrow.DataType): Cat {
  switch (type.typeId) {
    case arrow.Type.Int: return "int";
    case arrow.Type.Float: return (type as arrow.Float).precision === arrow.Precision.HALF ? "other" : "float";
    case arrow.Type.Bool: return "bool";
    case arrow.Type.Utf8: return "string";
    case arrow.Type.Timestamp: return "ts";
    case arrow.Type.Null: return "null";
    default: return "other";
  }
}

/** @internal The Arrow type a computed value of each category is written as. */
export const DEFAULT_TYPE: Record<Exclude<Cat, "other">, arrow.DataType> = {
  int: T_INT64, float: T_FLOAT64, bool: T_BOOL, string: T_UTF8, ts: T_TS, null: T_NULL,
};

/** @internal Each category in words, for messages. */
export const CAT_NAME: Record<Cat, string> = {
  int: "an integer", float: "a float", bool: "a bool", string: "a string", ts: "a timestamp", null: "null", other: "",
};
