/**
 * The pre-combiner of one exchange: pre-combines its batches (see `pre-combine.ts`) while that pays,
 * and backs off after a batch whose keys were nearly all distinct.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../sdk/batch";
import { PreCombineScratch } from "./key-grouping";
import type { LiftedCombine } from "./lifted-combine";
import { partialRowsSchema } from "./partial-rows";
import { preCombine, type BatchKeys, type PreCombined } from "./pre-combine";

/** Batches sent as they are after a pre-combine that was not worth it, before trying again. */
const BACK_OFF = 16;

/**
 * Pre-combines the batches of one exchange while it pays: after a batch whose keys were nearly all
 * distinct (many keys, few repeats), the next {@link BACK_OFF} batches go out as they are.
 */
export class PreCombiner {
  private skip = 0;
  private readonly schemas = new WeakMap<arrow.Schema, arrow.Schema>();
  /** Key tables (one per window of a batch) and the dense ids, reused from batch to batch. */
  private readonly scratch = new PreCombineScratch();

  constructor(readonly lift: LiftedCombine) {}

  /** The collapsed batch and its keys, or null to send the batch as it is (`keys`: see {@link preCombine}). */
  apply(batch: ElementBatch, keys: BatchKeys): PreCombined | null {
    if (this.skip > 0) {
      this.skip--;
      return null;
    }
    const input = batch.data.schema;
    let schema = this.schemas.get(input);
    if (!schema) this.schemas.set(input, (schema = partialRowsSchema(input)));
    const out = preCombine(batch, keys, this.lift, schema, this.scratch);
    if (!out) this.skip = BACK_OFF;
    return out;
  }
}
