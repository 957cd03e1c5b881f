/**
 * Elements between the Fn API's bytes and Beamline's batches. Inside a bundle, data moves as either
 * an Arrow {@link ElementBatch} (what user functions see) or a {@link RowBatch} of decoded values
 * (what the data channel and the sink steps use), converted only where a step needs the other form.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, GLOBAL_WINDOWS, paneAt, PaneColumn, paneFlags, PaneTiming, windowAt, WindowColumn } from "../../../../sdk/batch";
import { recordBatchToRows, rowsToRecordBatch } from "../../../../sdk/rows";
import { inferSchema } from "../../../../sdk/schema";
import type { Window } from "../../../../sdk/window";
import { Coder, WindowedValue } from "../../coders/coders";
import { NO_FIRING, type PaneInfo } from "../../../../sdk/batch";
import { ByteReader, ByteWriter } from "../../coders/wire";

/** Decoded values with per-row timestamps, windows and panes. */
export interface RowBatch {
  readonly rows: unknown[];
  readonly timestamps: Float64Array;
  readonly windows: WindowColumn;
  readonly panes?: PaneColumn;
}

/** Either form. */
export type Elements = ElementBatch | RowBatch;

/** Whether a batch is a RowBatch. */
export function isRowBatch(b: Elements): b is RowBatch {
  return (b as RowBatch).rows !== undefined;
}

/** The number of elements. */
export function sizeOf(b: Elements): number {
  return isRowBatch(b) ? b.rows.length : b.data.numRows;
}

/** The Arrow form, building the record batch with `schema` (inferred from the rows when null). */
export function toElementBatch(b: Elements, schema: arrow.Schema | null, where: string): ElementBatch {
  if (!isRowBatch(b)) return b;
  const s = schema ?? inferSchema(b.rows, where);
  const data = rowsToRecordBatch(b.rows, s, where);
  return b.panes ? { data, timestamps: b.timestamps, windows: b.windows, panes: b.panes } : { data, timestamps: b.timestamps, windows: b.windows };
}

/** The row form. */
export function toRowBatch(b: Elements): RowBatch {
  if (isRowBatch(b)) return b;
  const rows = recordBatchToRows(b.data);
  return b.panes ? { rows, timestamps: b.timestamps, windows: b.windows, panes: b.panes } : { rows, timestamps: b.timestamps, windows: b.windows };
}

const TIMING: Record<PaneInfo["timing"], PaneTiming> = { early: PaneTiming.Early, on_time: PaneTiming.OnTime, late: PaneTiming.Late, unknown: PaneTiming.Unknown };

/**
 * Decodes a data chunk of windowed values into a RowBatch (one row per window). `shape` rewrites
 * each decoded value into Beamline's row shape (e.g. grouped `{key, value: []}` into `{key, values}`).
 */
export function decodeElements(coder: Coder<WindowedValue>, bytes: Buffer, shape: (v: unknown) => unknown): RowBatch {
  const r = new ByteReader(bytes);
  const rows: unknown[] = [];
  const ts: number[] = [];
  const wins: Window[] = [];
  const panes: PaneInfo[] = [];
  let anyInterval = false;
  let anyPane = false;
  while (!r.done) {
    const wv = coder.decode(r, true);
    const value = shape(wv.value);
    for (const w of wv.windows) {
      rows.push(value);
      ts.push(wv.timestamp);
      wins.push(w);
      panes.push(wv.pane);
      if (!w.global) anyInterval = true;
      if (wv.pane !== NO_FIRING) anyPane = true;
    }
  }
  const n = rows.length;
  let windows: WindowColumn = GLOBAL_WINDOWS;
  if (anyInterval) {
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      start[i] = wins[i].start;
      end[i] = wins[i].end;
    }
    windows = { kind: "interval", start, end };
  }
  const out: RowBatch = { rows, timestamps: Float64Array.from(ts), windows };
  if (!anyPane) return out;
  const flags = new Uint8Array(n);
  const index = new Int32Array(n);
  const nonSpeculative = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = panes[i];
    flags[i] = paneFlags(TIMING[p.timing], p.isFirst, p.isLast);
    index[i] = p.index;
    nonSpeculative[i] = p.nonSpeculativeIndex;
  }
  return { ...out, panes: { flags, index, nonSpeculative } };
}

/** Encodes a batch as windowed values onto `w`. */
export function encodeElements(coder: Coder<WindowedValue>, b: Elements, w: ByteWriter): void {
  const rb = toRowBatch(b);
  for (let i = 0; i < rb.rows.length; i++) {
    const p = paneAt(rb.panes, i);
    const pane: PaneInfo = rb.panes ? { timing: p.timing, isFirst: p.isFirst, isLast: p.isLast, index: p.index, nonSpeculativeIndex: p.nonSpeculativeIndex } : NO_FIRING;
    coder.encode({ value: rb.rows[i], timestamp: rb.timestamps[i], windows: [windowAt(rb.windows, i)], pane }, w, true);
  }
}
