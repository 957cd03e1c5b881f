/** The fallback writer: Arrow's own builder, for types without a writer of their own. */
import * as arrow from "apache-arrow";
import { describeType } from "../schema";
import type { ValueReader } from "./plain-values";
import { mismatch, type WriteContext } from "./write-context";

/** @internal Writes a column of a type without a writer of its own through Arrow's builder. */
export function writeWithBuilder(type: arrow.DataType, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const builder = arrow.makeBuilder({ type, nullValues: [null, undefined] });
  for (let i = 0; i < n; i++) {
    const v = get(i);
    try {
      builder.append(v);
    } catch (err) {
      throw mismatch(ctx, i, type, v, `cannot be written as ${describeType(type)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return builder.finish().flush();
}
