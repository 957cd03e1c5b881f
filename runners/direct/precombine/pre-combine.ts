/**
 * Combining one batch before a hash exchange: the sending side collapses the batch to one row per key
 * and window before routing it, when the consumer's combine can be lifted (see `lifted-combine.ts`).
 * The aggregated fields hold the partial result, every other field the key's first row, and the
 * column of input rows per row (see `partial-rows.ts`) says how many input rows each row stands for,
 * so far fewer rows cross the threads. The exchange holds the partial rows of successive batches in a
 * `PartialTable` (see `partial-table.ts`) until its watermark moves, a barrier or the end comes.
 */
import * as arrow from "apache-arrow";
import { takeMetadata, type ElementBatch } from "../../../sdk/batch";
import { makeRecordBatch, takeRecordBatch } from "../../../sdk/columns";
import { int32Keys, utf8KeyAt, utf8Keys, type KeyPrimitive, type Utf8Keys } from "../data/keys";
import { KeyTable } from "../data/key-table";
import { countRowsInto, foldColumn } from "../../runtime/combine/kernels";
import { groupDenseInt32, groupInt32, groupInWindows, groupUtf8, PreCombineScratch } from "./key-grouping";
import type { LiftableKernel, LiftedCombine } from "./lifted-combine";
import { partialRowsSchema } from "./partial-rows";
import { windowIndexes, windowSteps } from "./window-numbers";

/** A pre-combine that keeps more than this share of a batch's rows is not worth sending instead. */
const MAX_KEPT = 0.7;

/**
 * A batch's keys as `encodeKeys` gives them, or a function computing them: a batch whose single key
 * column holds 32-bit integers or null-free strings is collapsed straight from that column, and only
 * the collapsed rows' keys are made.
 */
export type BatchKeys = readonly KeyPrimitive[] | (() => readonly KeyPrimitive[]);

/**
 * A collapsed batch and its rows' keys: as `encodeKeys` gives them, or, when the batch was
 * collapsed by its one utf8 key column, that column's bytes in the collapsed batch (no strings made).
 */
export interface PreCombined {
  readonly batch: ElementBatch;
  readonly keys: readonly KeyPrimitive[] | Utf8Keys;
}

/**
 * Collapses a batch to one row per key and window (`keys`: see {@link BatchKeys}), adding the column
 * of input rows per row (`schema`: the batch's schema with it, from {@link partialRowsSchema};
 * `scratch`: storage to reuse). Returns null, leaving the batch as it is, when its rows fall into more
 * than `MAX_WINDOWS` windows (see `window-numbers.ts`), a summed, min, max or mean field is not a
 * null-free float64 column of one chunk, or too few rows share a key and window for collapsing to pay.
 */
export function preCombine(
  batch: ElementBatch,
  batchKeys: BatchKeys,
  lift: LiftedCombine,
  schema: arrow.Schema = partialRowsSchema(batch.data.schema),
  scratch: PreCombineScratch = new PreCombineScratch(),
): PreCombined | null {
  const tables = scratch.tables;
  const rb = batch.data;
  const n = rb.numRows;
  // Rows of interval windows: each row's window as a small index, a key table per window.
  let windowOf: Int32Array | null = null;
  let windows = 1;
  if (batch.windows.kind === "interval") {
    windowOf = new Int32Array(n);
    const { start, end } = batch.windows;
    windows = lift.windowStep ? windowSteps(start, n, lift.windowStep, windowOf) : windowIndexes(start, end, n, windowOf);
    if (windows < 0) return null;
  }
  const inputs: Float64Array[] = [];
  const columns: number[] = [];
  const kinds: LiftableKernel[] = [];
  for (let a = 0; a < lift.fields.length; a++) {
    const f = lift.fields[a];
    if (f === null) continue;
    const index = rb.schema.fields.findIndex((x) => x.name === f);
    const col = index < 0 ? null : rb.getChildAt(index);
    if (!col || col.data.length !== 1 || col.nullCount > 0 || !(col.data[0].values instanceof Float64Array)) return null;
    inputs.push((col.data[0].values as Float64Array).subarray(0, n));
    columns.push(index);
    kinds.push(lift.kinds[a]);
  }
  const firsts = new Int32Array(n);
  const ids = new Int32Array(n);
  const keyIndex = lift.keyFields?.length === 1 ? rb.schema.fields.findIndex((f) => f.name === lift.keyFields![0]) : -1;
  const keyColumn = keyIndex < 0 ? null : rb.getChildAt(keyIndex);
  const utf8 = keyColumn ? utf8Keys([keyColumn], n) : null;
  const ints = keyColumn && !utf8 ? int32Keys([keyColumn], n) : null;
  let keys: readonly KeyPrimitive[] | null = null;
  let m: number;
  const dense = ints ? groupDenseInt32(ints, windowOf, windows, n, scratch, ids, firsts) : null;
  // Key tables, one per window, only where keys are not indexed directly.
  if (dense === null) {
    while (tables.length < windows) tables.push(new KeyTable());
    for (let w = 0; w < windows; w++) tables[w].clear();
  }
  if (dense !== null) m = dense;
  else if (windowOf === null && ints) m = groupInt32(ints, n, tables[0], ids, firsts);
  else if (windowOf === null && utf8) m = groupUtf8(utf8, n, tables[0], ids, firsts);
  else {
    if (!ints && !utf8) keys = typeof batchKeys === "function" ? batchKeys() : batchKeys;
    m = groupInWindows(ints, utf8, keys, n, windowOf, tables, ids, firsts);
  }
  if (m > n * MAX_KEPT) return null;
  const rows = firsts.slice(0, m);
  const counts = new Float64Array(m);
  countRowsInto(counts, ids, n);
  const outputs = inputs.map((values, c) => {
    const out = new Float64Array(m);
    foldColumn(kinds[c], out, ids, values, n, rows, 0);
    return out;
  });
  const taken = takeRecordBatch(rb, rows);
  const children = taken.data.children.slice();
  columns.forEach((index, c) => {
    children[index] = arrow.makeData({ type: children[index].type as arrow.Float64, length: m, nullCount: 0, data: outputs[c] });
  });
  children.push(arrow.makeData({ type: schema.fields[schema.fields.length - 1].type as arrow.Float64, length: m, nullCount: 0, data: counts }));
  const out: ElementBatch = { data: makeRecordBatch(schema, children, m), ...takeMetadata(batch, rows) };
  if (utf8) {
    const collapsed = utf8Keys([taken.getChildAt(keyIndex)!], m);
    if (collapsed) return { batch: out, keys: collapsed };
  }
  const outKeys = new Array<KeyPrimitive>(m);
  if (ints) for (let g = 0; g < m; g++) outKeys[g] = ints[rows[g]];
  else if (utf8) for (let g = 0; g < m; g++) outKeys[g] = utf8KeyAt(utf8, rows[g]);
  else for (let g = 0; g < m; g++) outKeys[g] = keys![rows[g]];
  return { batch: out, keys: outKeys };
}
