/**
 * Partial rows held across batches before a hash exchange. Where an exchange pre-combines (see
 * `pre-combine.ts`), it folds each batch's partial rows into this table, one row per key and window, instead
 * of sending them at once; it sends the table's rows (and empties it) before its input watermark
 * moves on, before a checkpoint barrier, at the end of input, and whenever the table holds
 * {@link FLUSH_GROUPS} groups. So a key that recurs from batch to batch crosses the threads once per
 * flush instead of once per batch, and the receiving combine folds one row for it; the table never
 * outlives a watermark or a checkpoint, so nothing in it needs checkpointing, and no row reaches the
 * receiver later than its input watermark allows.
 */
import * as arrow from "apache-arrow";
import { concatMetadata, takeMetadata, type ElementBatch } from "../../../sdk/batch";
import { concatRecordBatches, makeRecordBatch, takeRecordBatch } from "../../../sdk/columns";
import type { KeyPrimitive, Utf8Keys } from "../data/keys";
import { KeyTable } from "../data/key-table";
import type { LiftableKernel, LiftedCombine } from "./lifted-combine";
import type { PreCombined } from "./pre-combine";
import { foldColumn } from "../../runtime/combine/kernels";

/** Groups a table holds before it is flushed: bounds its memory (one row and a few numbers per group). */
export const FLUSH_GROUPS = 1 << 16;

/** Partial rows by key and window, folded across batches until flushed. */
export class PartialTable {
  /** Key tables by window (`start:end`; the global window is ""). */
  private readonly tables = new Map<string, KeyTable>();
  private groups = 0;
  /** The first partial row of every group, in group order: the batches they were taken from. */
  private kept: ElementBatch[] = [];
  /** Per folded column (the aggregated fields, then input rows per row): the group's value. */
  private values: Float64Array[] = [];
  /** Where the folded columns are in a pre-combined batch, and how each folds. */
  private layout: { readonly schema: arrow.Schema; readonly columns: readonly number[]; readonly kinds: readonly (LiftableKernel | "rows")[] } | null = null;

  constructor(readonly lift: LiftedCombine) {}

  /** How many groups the table holds. */
  get size(): number {
    return this.groups;
  }

  /** Folds a pre-combined batch in; returns how many of its rows started a new group. */
  add(pre: PreCombined): number {
    const batch = pre.batch;
    const rb = batch.data;
    const n = rb.numRows;
    const layout = this.layoutOf(rb.schema);
    const inputs = layout.columns.map((c) => (rb.getChildAt(c)!.data[0].values as Float64Array).subarray(0, n));
    this.reserve(this.groups + n);
    const utf8 = "bytes" in pre.keys ? (pre.keys as Utf8Keys) : null;
    const keys = utf8 ? null : (pre.keys as readonly KeyPrimitive[]);
    const windows = batch.windows.kind === "interval" ? batch.windows : null;
    const ids = new Int32Array(n);
    const fresh: number[] = [];
    const before = this.groups;
    let table = this.tableOf(windows ? `${windows.start[0]}:${windows.end[0]}` : "");
    for (let r = 0; r < n; r++) {
      if (windows && r > 0 && (windows.start[r] !== windows.start[r - 1] || windows.end[r] !== windows.end[r - 1])) {
        table = this.tableOf(`${windows.start[r]}:${windows.end[r]}`);
      }
      let g = utf8 ? table.getUtf8(utf8.bytes, utf8.offsets[r], utf8.offsets[r + 1]) : table.get(keys![r]);
      if (g < 0) {
        g = this.groups++;
        if (utf8) table.addUtf8(utf8.bytes, utf8.offsets[r], utf8.offsets[r + 1], g);
        else table.add(keys![r], g);
        fresh.push(r);
      }
      ids[r] = g;
    }
    const firsts = Int32Array.from(fresh);
    inputs.forEach((values, c) => foldColumn(layout.kinds[c], this.values[c], ids, values, n, firsts, before));
    if (fresh.length > 0) this.kept.push({ data: takeRecordBatch(rb, firsts), ...takeMetadata(batch, firsts) });
    return fresh.length;
  }

  /** The table's partial rows as one batch (in the pre-combined batches' schema), emptying it; null when empty. */
  flush(): ElementBatch | null {
    if (this.groups === 0 || !this.layout) return null;
    const { schema, columns } = this.layout;
    const m = this.groups;
    const data = concatRecordBatches(schema, this.kept.map((b) => b.data));
    const children = data.data.children.slice();
    columns.forEach((index, c) => {
      children[index] = arrow.makeData({ type: children[index].type as arrow.Float64, length: m, nullCount: 0, data: this.values[c].slice(0, m) });
    });
    const out: ElementBatch = { data: makeRecordBatch(schema, children, m), ...concatMetadata(this.kept) };
    for (const t of this.tables.values()) t.clear();
    // Window tables go with their windows (a window seldom recurs after a flush); the global one stays.
    for (const w of this.tables.keys()) if (w !== "") this.tables.delete(w);
    this.groups = 0;
    this.kept = [];
    return out;
  }

  private tableOf(window: string): KeyTable {
    let t = this.tables.get(window);
    if (!t) this.tables.set(window, (t = new KeyTable()));
    return t;
  }

  /**
   * The folded columns of a pre-combined batch's schema. Every batch of an exchange has the same
   * fields; the schema of the first batch since the last flush is the one a flush gives.
   */
  private layoutOf(schema: arrow.Schema): NonNullable<PartialTable["layout"]> {
    if (this.layout && (this.layout.schema === schema || this.groups > 0)) return this.layout;
    const columns: number[] = [];
    const kinds: (LiftableKernel | "rows")[] = [];
    this.lift.fields.forEach((f, a) => {
      if (f === null) return;
      columns.push(schema.fields.findIndex((x) => x.name === f));
      kinds.push(this.lift.kinds[a]);
    });
    columns.push(schema.fields.length - 1); // input rows per row, last (see partialRowsSchema)
    kinds.push("rows");
    this.layout = { schema, columns, kinds };
    return this.layout;
  }

  private reserve(groups: number): void {
    const have = this.values[0]?.length ?? 0;
    const count = this.layout?.columns.length ?? 0;
    if (this.values.length === count && have >= groups) return;
    const size = Math.max(1024, groups, 2 * have);
    this.values = Array.from({ length: count }, (_, c) => {
      const next = new Float64Array(size);
      if (this.values[c]) next.set(this.values[c].subarray(0, this.groups));
      return next;
    });
  }
}
