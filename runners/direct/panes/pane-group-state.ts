/** One live group of a pane engine as plain data, the form checkpoints keep it in. */
import type { KeyPrimitive } from "../data/keys";
import type { TriggerState } from "./trigger-machine";

/** One live group of a pane engine as plain data, for checkpoints. */
export interface PaneGroupState {
  readonly key: KeyPrimitive;
  /** The window. */
  readonly start: number;
  readonly end: number;
  /** Per-group pane state (see `WindowPanes`); `timing` is one of the constants of `pane-timing.ts`. */
  readonly pending: number;
  readonly timing: number;
  readonly closed: number;
  readonly createdLate: number;
  readonly paneIndex: number;
  /** The next non-speculative pane index (absent in checkpoints older than it: derived from the timing). */
  readonly nonSpeculativeIndex?: number;
  readonly minTs: number;
  readonly maxTs: number;
  readonly trigger: TriggerState | null;
  /** The processing time the group waits for, if any. */
  readonly wake: number | null;
  /** The proto groups whose data the group holds; the first is the group itself. */
  readonly members: readonly number[];
}
