/**
 * Key/value rows and grouped rows: the shapes GroupByKey takes and produces, shared by the transforms
 * that build them and the runners that execute them.
 */
import * as arrow from "apache-arrow";
import type { WindowingStrategy } from "./window";

/** A key/value row. */
export interface KV<K, V> {
  key: K;
  value: V;
}

/** A grouped row: a key and all its values in a window. */
export interface Grouped<K, V> {
  key: K;
  values: V[];
}

/** URN of GroupByKey. */
export const GROUP_BY_KEY_URN = "beam:transform:group_by_key:v1";
/** URN of Flatten. */
export const FLATTEN_URN = "beam:transform:flatten:v1";
/** URN of window assignment. */
export const WINDOW_INTO_URN = "beam:transform:window_into:v1";
/** URN of Reshuffle. */
export const RESHUFFLE_URN = "beam:transform:reshuffle:v1";
/** URN of Beamline's split of rows too late for their window (past the allowed lateness). */
export const SEPARATE_LATE_URN = "beamline:transform:separate_late:v1";

/** The payload of a transform that has no parameters ({@link GROUP_BY_KEY_URN}, {@link FLATTEN_URN}, {@link RESHUFFLE_URN}, {@link SEPARATE_LATE_URN}). */
export type EmptyPayload = Readonly<Record<string, never>>;

/** The payload of a {@link WINDOW_INTO_URN} transform: the windowing strategy of its output. */
export interface WindowIntoPayload {
  /** The strategy, as in the output PCollection's windowing. */
  readonly windowing: WindowingStrategy;
}

/** The schema of `{key, value}` rows. */
export function kvSchema(keyType: arrow.DataType, valueType: arrow.DataType): arrow.Schema {
  return new arrow.Schema([new arrow.Field("key", keyType, true), new arrow.Field("value", valueType, true)]);
}

/** The schema of `{key, values}` rows with the given key and value types. */
export function groupedSchema(keyType: arrow.DataType, valueType: arrow.DataType): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field("key", keyType, true),
    new arrow.Field("values", new arrow.List(new arrow.Field("item", valueType, true)), true),
  ]);
}

/** The field types of a `{key, value}` schema, or null if it is not one. */
export function kvTypes(s: arrow.Schema | null): { key: arrow.DataType; value: arrow.DataType } | null {
  if (!s) return null;
  const k = s.fields.find((f) => f.name === "key");
  const v = s.fields.find((f) => f.name === "value");
  return k && v && s.fields.length === 2 ? { key: k.type, value: v.type } : null;
}
