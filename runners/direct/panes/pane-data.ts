/** What a pane engine and the grouping operator holding the data say to each other: the panes fired, and the data to start, emit and clear. */
import type { KeyPrimitive } from "../data/keys";

/** A group about to be emitted as a pane. */
export interface FiredGroup {
  /** The group's id (its representative proto group). */
  readonly rep: number;
  /** The proto groups whose data the pane holds. */
  readonly members: readonly number[];
  readonly key: KeyPrimitive;
  /** The window. */
  readonly start: number;
  readonly end: number;
  /** Pane flags (see `paneFlags`), index and non-speculative index (-1 for early panes). */
  readonly flags: number;
  readonly index: number;
  readonly nonSpeculativeIndex: number;
  /** The output timestamp. */
  readonly timestamp: number;
}

/** What the engine asks of the operator that holds the data. */
export interface PaneData {
  /** A new (or reused) proto group for `row` of the current batch: start its data empty. */
  init(proto: number, row: number): void;
  /** Emits one pane per group. */
  emit(groups: readonly FiredGroup[]): void;
  /** Forgets the data of these proto groups. */
  clear(protos: readonly number[]): void;
}
