/** The strings a utf8 column was written from, kept beside the Arrow column so reading it back needs no decoding. */
import * as arrow from "apache-arrow";

/**
 * The strings a utf8 column was written from (null rows as ""), kept while the column lives so that
 * reading it in the same thread returns them instead of decoding its bytes again.
 */
export const writtenStrings = new WeakMap<arrow.Data, string[]>();

/** @internal Whether a utf8 column keeps the strings it was written from (see `WriteContext.keepStrings`). */
export function keepsStrings(data: arrow.Data): boolean {
  return writtenStrings.has(data);
}
