/**
 * The pre-combiner of one exchange: folds its batches into the partial rows it holds (see
 * `partial-table.ts`) while that pays, and backs off after a batch whose keys were nearly all new.
 */
import type { ElementBatch } from "../../../sdk/batch";
import type { LiftedCombine } from "./lifted-combine";
import { PartialTable, type BatchKeys } from "./partial-table";

/** A batch of which more than this share of rows started a new group did not pay for folding. */
const MAX_KEPT = 0.7;

/** Batches sent as they are after a fold that was not worth it, before trying again. */
const BACK_OFF = 16;

/**
 * Folds the batches of one exchange into its held partial rows while it pays: after a batch whose
 * keys were nearly all new to the table (many keys, few repeats), the next {@link BACK_OFF} batches
 * go out as they are.
 */
export class PreCombiner {
  private skip = 0;
  /** The partial rows held, which the exchange flushes. */
  readonly table: PartialTable;

  constructor(lift: LiftedCombine) {
    this.table = new PartialTable(lift);
  }

  /**
   * Folds `batch` in (`keys`: see {@link BatchKeys}); returns how many of its rows folded into a
   * group that another row started, or null to send the batch as it is.
   */
  apply(batch: ElementBatch, keys: BatchKeys): number | null {
    if (this.skip > 0) {
      this.skip--;
      return null;
    }
    const n = batch.data.numRows;
    const started = this.table.fold(batch, keys);
    if (started === null || started > n * MAX_KEPT) this.skip = BACK_OFF;
    return started === null ? null : n - started;
  }
}
