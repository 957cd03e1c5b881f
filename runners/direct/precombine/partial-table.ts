/**
 * Partial rows held before a hash exchange, when the consumer's combine can be lifted (see
 * `lifted-combine.ts`): the exchange folds each batch's rows straight into this table, one group per
 * key and window (one key lookup per row), instead of sending them at once. A group holds its key's
 * first row, the partial result of each aggregated field and how many input rows it stands for. The
 * exchange sends the table's rows (and empties it) before its input watermark moves on, before a
 * checkpoint barrier, at the end of input, and whenever the table holds {@link FLUSH_GROUPS} groups:
 * the aggregated fields hold the partial results, every other field the key's first row, and one more
 * column (see `partial-rows.ts`) the input rows per row. So a key that recurs from batch to batch
 * crosses the threads once per flush instead of once per row, and the receiving combine folds one row
 * for it; the table never outlives a watermark or a checkpoint, so nothing in it needs checkpointing,
 * and no row reaches the receiver later than its input watermark allows.
 */
import * as arrow from "apache-arrow";
import { concatMetadata, takeMetadata, type ElementBatch } from "../../../sdk/batch";
import { concatRecordBatches, makeRecordBatch, takeRecordBatch } from "../../../sdk/columns";
import { int32Keys, utf8Keys, type KeyPrimitive } from "../data/keys";
import { KeyTable } from "../data/key-table";
import { countRowsInto, foldColumn } from "../../runtime/combine/kernels";
import { DenseSlots, firstRowOfWindows, groupDenseInt32, groupInt32, groupInWindows, groupUtf8, holdInt32Groups, toHeldIds } from "./key-grouping";
import type { LiftableKernel, LiftedCombine } from "./lifted-combine";
import { partialRowsSchema } from "./partial-rows";
import { MAX_WINDOWS, windowIndexes, windowSteps } from "./window-numbers";

/** Groups a table holds before it is flushed: bounds its memory (one row and a few numbers per group). */
export const FLUSH_GROUPS = 1 << 16;

/**
 * A batch's keys as `encodeKeys` gives them, or a function computing them: a batch whose single key
 * column holds 32-bit integers or null-free strings is folded straight from that column, and its keys
 * are never made.
 */
export type BatchKeys = readonly KeyPrimitive[] | (() => readonly KeyPrimitive[]);

/** Where a batch's folded columns are, how each folds, and the schema of a flush. */
interface Layout {
  readonly schema: arrow.Schema;
  /** The batches' schema with the column of input rows per row. */
  readonly flushed: arrow.Schema;
  /** Per aggregated field (counts have none): its column, and how it folds. */
  readonly columns: readonly number[];
  readonly kinds: readonly LiftableKernel[];
  /** The single key field's column, or -1. */
  readonly key: number;
}

/** Partial rows by key and window, folded across batches until flushed. */
export class PartialTable {
  /** Key tables by window (`start:end`; the global window is ""). */
  private readonly tables = new Map<string, KeyTable>();
  private groups = 0;
  /** The first row of every group, in group order: the batches they were taken from. */
  private kept: ElementBatch[] = [];
  /** Per aggregated field, then input rows: the group's value. */
  private values: Float64Array[] = [];
  private layout: Layout | null = null;
  /** Key tables of windows gone with a flush, cleared, for the next windows. */
  private readonly spare: KeyTable[] = [];
  /**
   * Per-batch storage, kept from batch to batch: row groups, new groups' first rows, window numbers,
   * the batch's own groups' first rows and held groups (see {@link groupDenseInt32}).
   */
  private ids = new Int32Array(0);
  private fresh = new Int32Array(0);
  private windowOf = new Int32Array(0);
  private firsts = new Int32Array(0);
  private held = new Int32Array(0);
  private readonly dense = new DenseSlots();
  private readonly firstOfWindow = new Int32Array(MAX_WINDOWS);
  private readonly windowTables: KeyTable[] = [];

  constructor(readonly lift: LiftedCombine) {}

  /** How many groups the table holds. */
  get size(): number {
    return this.groups;
  }

  /**
   * Folds a batch's rows in (`keys`: see {@link BatchKeys}); returns how many of them started a new
   * group, or null, leaving the table as it was, when the batch cannot be folded: its rows fall into
   * more than `MAX_WINDOWS` windows (see `window-numbers.ts`), or a summed, min, max or mean field is
   * not a null-free float64 column of one chunk.
   */
  fold(batch: ElementBatch, batchKeys: BatchKeys): number | null {
    const rb = batch.data;
    const n = rb.numRows;
    const layout = this.layoutOf(rb.schema);
    const inputs: Float64Array[] = [];
    for (const index of layout.columns) {
      const col = index < 0 ? null : rb.getChildAt(index);
      if (!col || col.data.length !== 1 || col.nullCount > 0 || !(col.data[0].values instanceof Float64Array)) return null;
      inputs.push((col.data[0].values as Float64Array).subarray(0, n));
    }
    if (this.ids.length < n) {
      const size = Math.max(n, 2 * this.ids.length);
      [this.ids, this.fresh, this.windowOf, this.firsts, this.held] = [0, 1, 2, 3, 4].map(() => new Int32Array(size));
    }
    const { ids, fresh } = this;
    // Rows of interval windows: each row's window as a small index, the held key table of each.
    let windowOf: Int32Array | null = null;
    let windows = 1;
    const tables = this.windowTables;
    if (batch.windows.kind === "interval") {
      windowOf = this.windowOf;
      const { start, end } = batch.windows;
      windows = this.lift.windowStep ? windowSteps(start, n, this.lift.windowStep, windowOf) : windowIndexes(start, end, n, windowOf);
      if (windows < 0) return null;
      firstRowOfWindows(windowOf, n, windows, this.firstOfWindow);
      tables.length = windows;
      for (let w = 0; w < windows; w++) {
        const r = this.firstOfWindow[w];
        // Number 0 always has rows; a number no row has is never looked into.
        tables[w] = r < 0 ? tables[0] : this.tableOf(`${start[r]}:${end[r]}`);
      }
    } else {
      tables.length = 1;
      tables[0] = this.tableOf("");
    }
    const keyColumn = layout.key < 0 ? null : rb.getChildAt(layout.key);
    const utf8 = keyColumn ? utf8Keys([keyColumn], n) : null;
    const ints = keyColumn && !utf8 ? int32Keys([keyColumn], n) : null;
    const before = this.groups;
    this.reserve(before + n);
    let m: number;
    // Narrow integer keys: grouped in the batch by direct indexing, then each group looked up once.
    const local = ints ? groupDenseInt32(ints, windowOf, windows, n, this.dense, ids, this.firsts) : -1;
    if (local >= 0) {
      m = holdInt32Groups(ints!, this.firsts, local, windowOf, tables, this.held, fresh, before);
      toHeldIds(ids, this.held, n);
    } else if (windowOf === null && ints) m = groupInt32(ints, n, tables[0], ids, fresh, before);
    else if (windowOf === null && utf8) m = groupUtf8(utf8, n, tables[0], ids, fresh, before);
    else {
      const keys = ints || utf8 ? null : typeof batchKeys === "function" ? batchKeys() : batchKeys;
      m = groupInWindows(ints, utf8, keys, n, windowOf, tables, ids, fresh, before);
    }
    this.groups += m;
    const rows = ids.subarray(0, n);
    const firsts = fresh.subarray(0, m);
    inputs.forEach((values, c) => foldColumn(layout.kinds[c], this.values[c], rows, values, n, firsts, before));
    const counts = this.values[inputs.length];
    counts.fill(0, before, before + m);
    countRowsInto(counts, rows, n);
    if (m > 0) this.kept.push({ data: takeRecordBatch(rb, firsts), ...takeMetadata(batch, firsts) });
    return m;
  }

  /** The table's partial rows as one batch (the batches' schema with input rows per row), emptying it; null when empty. */
  flush(): ElementBatch | null {
    if (this.groups === 0 || !this.layout) return null;
    const { schema, flushed, columns } = this.layout;
    const m = this.groups;
    const data = concatRecordBatches(schema, this.kept.map((b) => b.data));
    const children = data.data.children.slice();
    const column = (c: number, type: arrow.DataType) => arrow.makeData({ type: type as arrow.Float64, length: m, nullCount: 0, data: this.values[c].slice(0, m) });
    columns.forEach((index, c) => (children[index] = column(c, children[index].type)));
    children.push(column(columns.length, flushed.fields[flushed.fields.length - 1].type));
    const out: ElementBatch = { data: makeRecordBatch(flushed, children, m), ...concatMetadata(this.kept) };
    // Window tables go with their windows (a window seldom recurs after a flush), kept for the next
    // ones; the global one stays.
    for (const [w, t] of this.tables) {
      t.clear();
      if (w === "") continue;
      this.tables.delete(w);
      this.spare.push(t);
    }
    this.groups = 0;
    this.kept = [];
    return out;
  }

  private tableOf(window: string): KeyTable {
    let t = this.tables.get(window);
    if (!t) this.tables.set(window, (t = this.spare.pop() ?? new KeyTable()));
    return t;
  }

  /**
   * The folded columns of a batch's schema. Every batch of an exchange has the same fields; the
   * schema of the first batch since the last flush is the one a flush gives.
   */
  private layoutOf(schema: arrow.Schema): Layout {
    if (this.layout && (this.layout.schema === schema || this.groups > 0)) return this.layout;
    const columns: number[] = [];
    const kinds: LiftableKernel[] = [];
    this.lift.fields.forEach((f, a) => {
      if (f === null) return;
      columns.push(schema.fields.findIndex((x) => x.name === f));
      kinds.push(this.lift.kinds[a]);
    });
    const keyFields = this.lift.keyFields;
    const key = keyFields?.length === 1 ? schema.fields.findIndex((f) => f.name === keyFields[0]) : -1;
    this.layout = { schema, flushed: partialRowsSchema(schema), columns, kinds, key };
    return this.layout;
  }

  /** Room for `groups` groups in every folded column (the aggregated fields' and input rows'). */
  private reserve(groups: number): void {
    const have = this.values[0]?.length ?? 0;
    const count = this.layout!.columns.length + 1;
    if (this.values.length === count && have >= groups) return;
    const size = Math.max(1024, groups, 2 * have);
    this.values = Array.from({ length: count }, (_, c) => {
      const next = new Float64Array(size);
      if (this.values[c]) next.set(this.values[c].subarray(0, this.groups));
      return next;
    });
  }
}
