/**
 * Which transforms read a string column only as bytes. A ParDo writing strings keeps them beside the
 * column it builds (see `WriteContext.keepStrings`), so that a consumer reading them back as strings
 * decodes nothing; but the kept strings live as long as the batch, and a batch that outlives a
 * young-generation collection drags them along. Where every consumer reads the column's bytes
 * instead — a combine grouping by one key column with counts, sums and means, an exchange routing by
 * hash or copying the batch to another thread — the strings are not kept.
 */
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import type { GraphTransform } from "../../../sdk/graph";
import { payloadOf } from "../../../sdk/payload";

/** Aggregates that read only numbers, or nothing (a count), from a row. */
const NUMERIC = new Set(["count", "sum", "mean"]);

/** Whether `t` reads string columns of its input only as bytes (see the module comment). */
export function readsStringsAsBytes(t: GraphTransform): boolean {
  const payload = payloadOf(t, COMBINE_PER_KEY_URN);
  if (!payload || payload.shape !== "flat" || payload.keyFields.length !== 1) return false;
  return Object.values(payload.aggregates).every((a) => NUMERIC.has(a.combiner));
}
