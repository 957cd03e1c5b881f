/**
 * The physical unit of data: an Arrow RecordBatch plus, per row, the event timestamp, the window and
 * (after grouping) the pane. Everything is columnar: typed arrays parallel to the batch's rows.
 */
import type * as arrow from "apache-arrow";
import { GLOBAL_WINDOW, Window } from "./window";
import { MIN_TIMESTAMP } from "./time";

/** Per-row windows: every row in the global window, or explicit interval bounds per row. */
export type WindowColumn =
  | { readonly kind: "global" }
  | { readonly kind: "interval"; readonly start: Float64Array; readonly end: Float64Array };

/** Pane timing, as in Beam. */
export const enum PaneTiming {
  Early = 0,
  OnTime = 1,
  Late = 2,
  Unknown = 3,
}

/** Per-row pane information (absent means "no firing": an element never grouped). */
export interface PaneColumn {
  /** Bits 0-1: timing; bit 2: first pane; bit 3: last pane. */
  readonly flags: Uint8Array;
  /** The pane's index within its window. */
  readonly index: Int32Array;
  /**
   * The pane's index among the window's non-speculative (on-time and late) panes, -1 for early
   * panes (Beam's `PaneInfo.getNonSpeculativeIndex`). Absent: -1 for early panes, else `index`.
   */
  readonly nonSpeculative?: Int32Array;
}

/** Pane information of one row as user code sees it. */
export interface PaneInfo {
  readonly timing: "early" | "on_time" | "late" | "unknown";
  readonly isFirst: boolean;
  readonly isLast: boolean;
  readonly index: number;
  /** The index among non-speculative (on-time and late) panes; -1 for early panes. */
  readonly nonSpeculativeIndex: number;
}

/** The pane of an element that was never grouped. */
export const NO_FIRING: PaneInfo = Object.freeze({ timing: "unknown", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 });

const TIMINGS = ["early", "on_time", "late", "unknown"] as const;

/** Encodes pane information as a flags byte. */
export function paneFlags(timing: PaneTiming, first: boolean, last: boolean): number {
  return timing | (first ? 4 : 0) | (last ? 8 : 0);
}

/** A batch of elements of a PCollection. */
export interface ElementBatch {
  /** The rows. */
  readonly data: arrow.RecordBatch;
  /** Event timestamps in ms, one per row. */
  readonly timestamps: Float64Array;
  /** Windows, one per row. */
  readonly windows: WindowColumn;
  /** Panes, one per row, for grouped output. */
  readonly panes?: PaneColumn;
}

/** The global window column. */
export const GLOBAL_WINDOWS: WindowColumn = Object.freeze({ kind: "global" });

/** Makes a batch of rows at the minimum timestamp in the global window (what bounded sources produce). */
export function globalBatch(data: arrow.RecordBatch, timestamp = MIN_TIMESTAMP): ElementBatch {
  return { data, timestamps: new Float64Array(data.numRows).fill(timestamp), windows: GLOBAL_WINDOWS };
}

/** The window of row `i`. */
export function windowAt(w: WindowColumn, i: number): Window {
  return w.kind === "global" ? GLOBAL_WINDOW : { start: w.start[i], end: w.end[i], global: false };
}

/** The pane of row `i`. */
export function paneAt(p: PaneColumn | undefined, i: number): PaneInfo {
  if (!p) return NO_FIRING;
  const f = p.flags[i];
  const timing = TIMINGS[f & 3];
  const index = p.index[i];
  const nonSpeculativeIndex = p.nonSpeculative ? p.nonSpeculative[i] : timing === "early" ? -1 : index;
  return { timing, isFirst: (f & 4) !== 0, isLast: (f & 8) !== 0, index, nonSpeculativeIndex };
}

/** Gathers per-row metadata (timestamps, windows, panes) for the given source rows. */
export function takeMetadata(
  batch: ElementBatch,
  indices: Int32Array,
): { timestamps: Float64Array; windows: WindowColumn; panes?: PaneColumn } {
  const n = indices.length;
  const timestamps = new Float64Array(n);
  for (let k = 0; k < n; k++) timestamps[k] = batch.timestamps[indices[k]];
  let windows: WindowColumn = GLOBAL_WINDOWS;
  if (batch.windows.kind === "interval") {
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      start[k] = batch.windows.start[indices[k]];
      end[k] = batch.windows.end[indices[k]];
    }
    windows = { kind: "interval", start, end };
  }
  let panes: PaneColumn | undefined;
  if (batch.panes) {
    const flags = new Uint8Array(n);
    const index = new Int32Array(n);
    const from = batch.panes.nonSpeculative;
    const nonSpeculative = from ? new Int32Array(n) : undefined;
    for (let k = 0; k < n; k++) {
      flags[k] = batch.panes.flags[indices[k]];
      index[k] = batch.panes.index[indices[k]];
    }
    if (from && nonSpeculative) for (let k = 0; k < n; k++) nonSpeculative[k] = from[indices[k]];
    panes = nonSpeculative ? { flags, index, nonSpeculative } : { flags, index };
  }
  return panes ? { timestamps, windows, panes } : { timestamps, windows };
}

/** Concatenates the per-row metadata of several batches (their data is concatenated elsewhere). */
export function concatMetadata(batches: readonly ElementBatch[]): {
  timestamps: Float64Array;
  windows: WindowColumn;
  panes?: PaneColumn;
} {
  let n = 0;
  for (const b of batches) n += b.timestamps.length;
  const timestamps = new Float64Array(n);
  const anyInterval = batches.some((b) => b.windows.kind === "interval");
  const anyPanes = batches.some((b) => b.panes);
  const start = anyInterval ? new Float64Array(n) : undefined;
  const end = anyInterval ? new Float64Array(n) : undefined;
  const flags = anyPanes ? new Uint8Array(n).fill(paneFlags(PaneTiming.Unknown, true, true)) : undefined;
  const index = anyPanes ? new Int32Array(n) : undefined;
  const nonSpeculative = batches.some((b) => b.panes?.nonSpeculative) ? new Int32Array(n) : undefined;
  let off = 0;
  for (const b of batches) {
    const len = b.timestamps.length;
    timestamps.set(b.timestamps, off);
    if (start && end) {
      if (b.windows.kind === "interval") {
        start.set(b.windows.start, off);
        end.set(b.windows.end, off);
      } else {
        start.fill(GLOBAL_WINDOW.start, off, off + len);
        end.fill(GLOBAL_WINDOW.end, off, off + len);
      }
    }
    if (flags && index && b.panes) {
      flags.set(b.panes.flags, off);
      index.set(b.panes.index, off);
    }
    if (nonSpeculative) {
      if (b.panes) nonSpeculative.set(b.panes.nonSpeculative ?? defaultNonSpeculative(b.panes), off);
    }
    off += len;
  }
  const windows: WindowColumn = start && end ? { kind: "interval", start, end } : GLOBAL_WINDOWS;
  if (!flags || !index) return { timestamps, windows };
  return { timestamps, windows, panes: nonSpeculative ? { flags, index, nonSpeculative } : { flags, index } };
}

/** The non-speculative indices of a pane column that does not carry them: -1 for early panes, else the index. */
function defaultNonSpeculative(p: PaneColumn): Int32Array {
  const out = new Int32Array(p.index.length);
  for (let i = 0; i < out.length; i++) out[i] = (p.flags[i] & 3) === PaneTiming.Early ? -1 : p.index[i];
  return out;
}
