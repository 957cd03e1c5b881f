/**
 * Combining before a hash exchange. When the consumer of a hash edge is a combine per key whose
 * aggregates merge the way they add (sum, min, max and mean of a field, count: the sum of partial
 * sums is the sum), the sending side collapses each batch to one row per key before routing it: the
 * aggregated fields hold the partial result, every other field the key's first row, and an extra
 * column named by the schema's {@link PARTIAL_ROWS_METADATA} says how many input rows each row
 * stands for (what a count or a mean's count adds up). The receiving combine takes that column off
 * ({@link splitPartialRows}) and folds partial rows as it folds input rows, weighted by it, so far
 * fewer rows cross the threads. The exchange holds the partial rows of successive batches in a
 * `PartialTable` (see `partial-table.ts`) until its watermark moves, a barrier or the end comes.
 */
import * as arrow from "apache-arrow";
import { takeMetadata, type ElementBatch } from "../../../sdk/batch";
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { makeRecordBatch, takeRecordBatch } from "../../../sdk/columns";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { payloadOf } from "../../../sdk/payload";
import { int32Keys, utf8KeyAt, utf8Keys, type KeyPrimitive, type Utf8Keys } from "../data/keys";
import { KeyTable } from "../data/key-table";
import { countRowsInto, foldColumn, type FoldKernel } from "../../runtime/combine/kernels";

/** A kernel whose merge of partial results equals adding the inputs. */
export type LiftableKernel = FoldKernel;

/** What an exchange pre-combines: per aggregate, its field (null for a count of rows) and kernel. */
export interface LiftedCombine {
  readonly fields: readonly (string | null)[];
  readonly kinds: readonly LiftableKernel[];
  /** The combine's key fields (a single utf8 key field is looked up by its bytes). */
  readonly keyFields?: readonly string[];
  /**
   * For fixed or sliding windows of a whole size and period: the period (the size of fixed windows),
   * the distance between two window starts, by which a row's window is numbered from its start.
   */
  readonly windowStep?: number;
}

/** Schema metadata of a pre-combined batch: the name of its column of input rows per row. */
export const PARTIAL_ROWS_METADATA = "beamline.partialRows";

const LIFTABLE = new Set<string>(["sum", "min", "max", "mean", "count"]);
const LIFTABLE_WINDOWS = new Set<string>(["global", "fixed", "sliding"]);
/** A batch whose rows fall into more windows than this is sent as it is. */
const MAX_WINDOWS = 64;

/** A pre-combine that keeps more than this share of a batch's rows is not worth sending instead. */
const MAX_KEPT = 0.7;
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

/** Storage a pre-combine reuses from batch to batch. */
export class PreCombineScratch {
  /** Key tables, one per window of a batch. */
  readonly tables: KeyTable[] = [];
  /** Ids by `key - lowest key`, for integer keys of a narrow range (see {@link groupDenseInt32}); -1: none yet. */
  dense = new Int32Array(0);
}

/**
 * The pre-combine of a hash edge into `consumer`, or null when the combine cannot be lifted: not a
 * flat combine per key; an aggregate other than a count, or sum, min, max or mean of a field; two
 * aggregates of one field; or a windowing other than global, fixed or sliding windows with the
 * default trigger and end-of-window timestamps (so that neither a pane nor an output timestamp
 * depends on which rows were folded together beforehand).
 */
export function liftedCombineOf(graph: PipelineGraph, consumer: GraphTransform, pcollection: string): LiftedCombine | null {
  const payload = payloadOf(consumer, COMBINE_PER_KEY_URN);
  if (!payload || payload.shape !== "flat") return null;
  const strategy = graph.windowingStrategies[graph.pcollections[pcollection]?.windowing];
  if (!strategy || !LIFTABLE_WINDOWS.has(strategy.windowFn.kind) || strategy.trigger.kind !== "default" || strategy.timestampCombiner !== "end_of_window") return null;
  const fields: (string | null)[] = [];
  const kinds: LiftableKernel[] = [];
  for (const a of Object.values(payload.aggregates)) {
    if (!LIFTABLE.has(a.combiner)) return null;
    // A count counts rows whatever its field holds; the others fold their field.
    const field = a.combiner === "count" ? null : a.field;
    if (a.combiner !== "count" && (field === null || fields.includes(field) || payload.keyFields.includes(field))) return null;
    fields.push(field);
    kinds.push(a.combiner as LiftableKernel);
  }
  if (fields.length === 0) return null;
  const fn = strategy.windowFn;
  const step = fn.kind === "fixed" ? fn.size : fn.kind === "sliding" ? fn.period : 0;
  const whole = Number.isInteger(step) && step > 0 && (fn.kind !== "sliding" || Number.isInteger(fn.size));
  return { fields, kinds, keyFields: payload.keyFields, ...(whole ? { windowStep: step } : {}) };
}

/** A schema with one more float64 column, of input rows per row, named by its metadata. */
export function partialRowsSchema(schema: arrow.Schema): arrow.Schema {
  let name = "partialRows";
  while (schema.fields.some((f) => f.name === name)) name = `_${name}`;
  const metadata = new Map(schema.metadata);
  metadata.set(PARTIAL_ROWS_METADATA, name);
  return new arrow.Schema([...schema.fields, new arrow.Field(name, new arrow.Float64(), false)], metadata);
}

const withoutPartialRows = new WeakMap<arrow.Schema, arrow.Schema>();

/**
 * A batch as the receiving combine folds it: a pre-combined batch without its column of input rows
 * per row, and that column; any other batch as it is, with null (each row is one input row).
 */
export function splitPartialRows(data: arrow.RecordBatch): { data: arrow.RecordBatch; partialRows: Float64Array | null } {
  const schema = data.schema;
  const name = schema.metadata.get(PARTIAL_ROWS_METADATA);
  const last = schema.fields.length - 1;
  if (name === undefined || schema.fields[last]?.name !== name) return { data, partialRows: null };
  let stripped = withoutPartialRows.get(schema);
  if (!stripped) {
    const metadata = new Map(schema.metadata);
    metadata.delete(PARTIAL_ROWS_METADATA);
    withoutPartialRows.set(schema, (stripped = new arrow.Schema(schema.fields.slice(0, last), metadata)));
  }
  const children = data.data.children;
  const rows = children[last];
  const partialRows = (rows.values as Float64Array).subarray(0, data.numRows);
  return { data: makeRecordBatch(stripped, children.slice(0, last), data.numRows), partialRows };
}

/**
 * A batch's keys as `encodeKeys` gives them, or a function computing them: a batch whose single key
 * column holds 32-bit integers or null-free strings is collapsed straight from that column, and only
 * the collapsed rows' keys are made.
 */
export type BatchKeys = readonly KeyPrimitive[] | (() => readonly KeyPrimitive[]);

/**
 * A collapsed batch and its rows' keys: as {@link encodeKeys} gives them, or, when the batch was
 * collapsed by its one utf8 key column, that column's bytes in the collapsed batch (no strings made).
 */
export interface PreCombined {
  readonly batch: ElementBatch;
  readonly keys: readonly KeyPrimitive[] | Utf8Keys;
}

/**
 * Collapses a batch to one row per key and window (`keys`: see {@link BatchKeys}), adding the column
 * of input rows per row (`schema`: the batch's schema with it, from {@link partialRowsSchema};
 * `scratch`: storage to reuse). Returns null, leaving the batch as it is, when its
 * rows fall into more than {@link MAX_WINDOWS} windows, a summed, min, max or mean field is not a
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

// The kernels below are small functions of one loop each, so that they are optimized after a few
// batches (a thread compiles them itself, and a busy machine leaves the compiler little time).

/** Gives each row's 32-bit integer key an id in order of first appearance; returns how many ids. */
function groupInt32(keys: Int32Array, n: number, table: KeyTable, ids: Int32Array, firsts: Int32Array): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let g = table.getInt(k);
    if (g < 0) {
      g = m++;
      table.addInt(k, g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/**
 * Numbers rows by their window (`start`, `end` per row) in order of first appearance, into
 * `windowOf`; returns how many windows, or -1 when there are more than {@link MAX_WINDOWS}.
 */
function windowIndexes(start: Float64Array, end: Float64Array, n: number, windowOf: Int32Array): number {
  const starts = new Float64Array(MAX_WINDOWS);
  const ends = new Float64Array(MAX_WINDOWS);
  let count = 0;
  let w = -1;
  // The current row's window, unboxed: rows of one window mostly come together.
  let cs = NaN;
  let ce = NaN;
  for (let i = 0; i < n; i++) {
    const s = start[i];
    const e = end[i];
    if (s !== cs || e !== ce) {
      w = 0;
      while (w < count && (starts[w] !== s || ends[w] !== e)) w++;
      if (w === count) {
        if (count === MAX_WINDOWS) return -1;
        starts[count] = s;
        ends[count] = e;
        count++;
      }
      cs = s;
      ce = e;
    }
    windowOf[i] = w;
  }
  return count;
}

/**
 * {@link windowIndexes} for windows whose starts are whole multiples of `step` apart (fixed and
 * sliding windows of a whole size and period, whose end follows from their start): a row's window is
 * numbered by its start's distance from the batch's earliest start, in steps. Returns how many window
 * numbers the batch spans (some may have no rows), or -1 when more than {@link MAX_WINDOWS}.
 */
function windowSteps(start: Float64Array, n: number, step: number, windowOf: Int32Array): number {
  if (n === 0) return 0;
  let lo = start[0];
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const s = start[i];
    if (s < lo) lo = s;
    else if (s > hi) hi = s;
  }
  const count = Math.round((hi - lo) / step) + 1;
  if (count > MAX_WINDOWS) return -1;
  for (let i = 0; i < n; i++) windowOf[i] = Math.round((start[i] - lo) / step);
  return count;
}

/** Slots (keys spanned times windows) at most, and no more than twice a batch's rows, for grouping integer keys by direct indexing. */
const DENSE_SPAN = 1 << 16;

/**
 * {@link groupInt32} by direct indexing, `(key - lowest) * windows + window` into an array, when the
 * batch's keys span a narrow range (ids of small integers, codes, buckets); null when they do not.
 * `windowOf`: each row's window (see {@link windowIndexes}), or null for one window.
 */
function groupDenseInt32(keys: Int32Array, windowOf: Int32Array | null, windows: number, n: number, scratch: PreCombineScratch, ids: Int32Array, firsts: Int32Array): number | null {
  if (n === 0) return null;
  let lo = keys[0];
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    if (k < lo) lo = k;
    else if (k > hi) hi = k;
  }
  const span = (hi - lo + 1) * windows;
  if (span > DENSE_SPAN || span > 2 * n) return null;
  if (scratch.dense.length < span) scratch.dense = new Int32Array(Math.max(span, 2 * scratch.dense.length));
  const at = scratch.dense;
  at.fill(-1, 0, span);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = (keys[i] - lo) * windows + (windowOf === null ? 0 : windowOf[i]);
    let g = at[d];
    if (g < 0) {
      g = at[d] = m++;
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** {@link groupInt32} for a utf8 key column, looked up by its bytes. */
function groupUtf8(keys: Utf8Keys, n: number, table: KeyTable, ids: Int32Array, firsts: Int32Array): number {
  const { bytes, offsets } = keys;
  let m = 0;
  for (let i = 0; i < n; i++) {
    let g = table.getUtf8(bytes, offsets[i], offsets[i + 1]);
    if (g < 0) {
      g = m++;
      table.addUtf8(bytes, offsets[i], offsets[i + 1], g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}

/** Ids by key and window (a table per window, `windowOf` per row, or one table), for any key kind. */
function groupInWindows(
  ints: Int32Array | null,
  utf8: Utf8Keys | null,
  keys: readonly KeyPrimitive[] | null,
  n: number,
  windowOf: Int32Array | null,
  tables: KeyTable[],
  ids: Int32Array,
  firsts: Int32Array,
): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = windowOf === null ? tables[0] : tables[windowOf[i]];
    let g: number;
    if (ints) g = t.getInt(ints[i]);
    else if (utf8) g = t.getUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1]);
    else g = t.get(keys![i]);
    if (g < 0) {
      g = m++;
      if (ints) t.addInt(ints[i], g);
      else if (utf8) t.addUtf8(utf8.bytes, utf8.offsets[i], utf8.offsets[i + 1], g);
      else t.add(keys![i], g);
      firsts[g] = i;
    }
    ids[i] = g;
  }
  return m;
}
