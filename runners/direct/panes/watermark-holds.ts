/**
 * The watermark holds of a pane engine, as Beam's WatermarkHold: each group's held element
 * timestamps, the timestamp its pane carries, and the output watermark hold they make together. An
 * element behind the published output watermark, or in a window the input watermark has passed,
 * holds nothing and gives no "earliest"/"latest" timestamp; a pane without such elements is stamped
 * at the end of its window.
 */
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import type { WindowingStrategy } from "../../../sdk/window";
import { GrowableColumn } from "../data/growable-columns";
import * as gcTimes from "./gc-time";

// A module-level copy: an imported binding is a property read on every use.
const { gcTime } = gcTimes;

/** Per-group element holds and the output watermark hold of one pane engine. */
export class WatermarkHolds {
  /** Per group: the earliest and latest held element timestamp (Infinity and -Infinity when none). */
  readonly minTs = new GrowableColumn(new Float64Array(1024));
  readonly maxTs = new GrowableColumn(new Float64Array(1024));
  /** The highest output watermark published (the input watermark held by {@link hold}). */
  private published = MIN_TIMESTAMP;
  /** Groups with pending data, when the pane timestamp is not the end of the window (else nothing holds). */
  private readonly pending = new Set<number>();

  /** `end`: the engine's per-group window ends. */
  constructor(
    private readonly end: GrowableColumn<Float64Array>,
    private readonly combiner: WindowingStrategy["timestampCombiner"],
    private readonly lateness: number,
  ) {}

  /** Grows the per-group columns to hold index `g`. */
  reserve(g: number): void {
    this.minTs.reserve(g);
    this.maxTs.reserve(g);
  }

  /** Group `g` has pending data. */
  pend(g: number): void {
    if (this.combiner !== "end_of_window") this.pending.add(g);
  }

  /** An element at `ts` joined group `g` while the input watermark is `watermark`. */
  observe(g: number, ts: number, watermark: number): void {
    // Only an element at or after the published output watermark, in a window the input watermark
    // has not passed, holds the watermark and sets the pane's timestamp.
    if (ts >= this.published && this.end.data[g] - 1 >= watermark) {
      if (ts < this.minTs.data[g]) this.minTs.data[g] = ts;
      if (ts > this.maxTs.data[g]) this.maxTs.data[g] = ts;
    }
  }

  /** A new group `g` (its columns reserved) holds nothing. */
  reset(g: number): void {
    this.minTs.data[g] = Infinity;
    this.maxTs.data[g] = -Infinity;
  }

  /** Group `g` fired: the pane takes the holds it was stamped with, and the group holds nothing. */
  release(g: number): void {
    this.pending.delete(g);
    this.reset(g);
  }

  /** Group `other` merged into `target`: `target` holds what both held. */
  merge(target: number, other: number): void {
    this.pending.delete(other);
    this.minTs.set(target, Math.min(this.minTs.data[target], this.minTs.data[other]));
    this.maxTs.set(target, Math.max(this.maxTs.data[target], this.maxTs.data[other]));
  }

  /** Group `g` was garbage-collected. */
  forget(g: number): void {
    if (this.pending.size > 0) this.pending.delete(g);
  }

  /** Every group was garbage-collected. */
  clear(): void {
    this.pending.clear();
  }

  /** Sets group `g`'s held timestamps (restoring a checkpoint). */
  restore(g: number, minTs: number, maxTs: number): void {
    this.minTs.set(g, minTs);
    this.maxTs.set(g, maxTs);
  }

  /** The timestamp of group `g`'s next pane. */
  outputTimestamp(g: number): number {
    const eow = this.end.data[g] - 1;
    if (this.combiner === "end_of_window" || this.minTs.data[g] === Infinity) return eow;
    return this.combiner === "earliest" ? this.minTs.data[g] : this.maxTs.data[g];
  }

  /**
   * The output watermark hold at input watermark `watermark`: the earliest timestamp a pending pane
   * will carry (its held elements', else the end of its window, or for late data its
   * garbage-collection time). The executor publishes the output watermark as the input watermark
   * held here, so this records it.
   */
  hold(watermark: number): number {
    let h = MAX_TIMESTAMP;
    if (this.combiner !== "end_of_window") {
      for (const g of this.pending) {
        const eow = this.end.data[g] - 1;
        h = Math.min(h, this.minTs.data[g] !== Infinity ? this.outputTimestamp(g) : eow >= watermark ? eow : gcTime(this.end.data[g], this.lateness));
      }
    }
    const out = Math.min(watermark, h);
    if (out > this.published) this.published = out;
    return h;
  }
}
