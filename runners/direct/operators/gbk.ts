/**
 * GroupByKey: keeps `{key, value}` rows columnar, tagged with their group, and emits `{key, values}`
 * per key and window when the pane engine fires, gathering each group's values with one take over
 * the concatenated value column. Fired rows are dropped in discarding mode and when windows expire.
 */
import * as arrow from "apache-arrow";
import { ElementBatch, GLOBAL_WINDOWS, WindowColumn } from "../../../sdk/batch";
import { concatRecordBatches, recordBatchFromColumns, takeRecordBatch, takeVector, valueReader, vectorFromValues } from "../../../sdk/columns";
import { SchemaError } from "../../../sdk/errors";
import { groupedSchema } from "../../../sdk/kv";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { encodeKeys, int32Keys, keyColumns, utf8Keys } from "../data/keys";
import type { Operator, OperatorContext } from "../contract/operator";
import { batchFromState, batchToState } from "../data/arrow-state";
import type { WireBatch } from "../data/batch-codec";
import { restorePanes, snapshotPanes } from "../panes/pane-snapshot";
import type { FiredGroup } from "../panes/pane-data";
import { paneTimeHooks } from "../panes/pane-time-hooks";
import { WindowPanes } from "../panes/window-panes";

/** A GroupByKey's data of one key group's proto groups, for checkpoints. */
interface GbkData {
  /** The retained `{key, value}` rows, or null before any data. */
  readonly rows: WireBatch | null;
  /** For each row, the position of its proto group among the key group's members. */
  readonly owner: Int32Array;
  /** The key of each member, for panes without rows. */
  readonly keys: unknown[];
}

/** The windows column of emitted groups. */
export function groupWindows(groups: readonly FiredGroup[]): WindowColumn {
  if (groups.every((g) => g.end === GLOBAL_WINDOW_MAX_TIMESTAMP + 1 && g.start === MIN_TIMESTAMP)) return GLOBAL_WINDOWS;
  const start = new Float64Array(groups.length);
  const end = new Float64Array(groups.length);
  groups.forEach((g, i) => {
    start[i] = g.start;
    end[i] = g.end;
  });
  return { kind: "interval", start, end };
}

/** The timestamps and pane columns of emitted groups. */
export function groupMetadata(groups: readonly FiredGroup[]): Pick<ElementBatch, "timestamps" | "windows" | "panes"> {
  const n = groups.length;
  const timestamps = new Float64Array(n);
  const flags = new Uint8Array(n);
  const index = new Int32Array(n);
  const nonSpeculative = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = groups[i].timestamp;
    flags[i] = groups[i].flags;
    index[i] = groups[i].index;
    nonSpeculative[i] = groups[i].nonSpeculativeIndex;
  }
  return { timestamps, windows: groupWindows(groups), panes: { flags, index, nonSpeculative } };
}

/** Calls `f(lo, hi)` over `[0, n)` in chunks of at most `size`. */
export function chunks(n: number, size: number, f: (lo: number, hi: number) => void): void {
  const step = Math.max(1, size);
  for (let lo = 0; lo < n; lo += step) f(lo, Math.min(n, lo + step));
}

/** The GroupByKey operator. */
export function gbkOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  const where = `transform "${t.uniqueName}"`;
  const strategy = ctx.windowingOf(t.inputs.main);
  let batches: arrow.RecordBatch[] = [];
  let ids: Int32Array[] = [];
  let kvSchema: arrow.Schema | null = null;
  /** The key of each proto group, for panes without rows (an empty on-time pane). */
  const keyValues: unknown[] = [];
  let readKey: ((i: number) => unknown) | null = null;

  const panes = new WindowPanes(ctx, strategy, {
    init(proto, row) {
      keyValues[proto] = readKey!(row);
    },
    emit(groups) {
      const all = batches.length > 0 ? concatRecordBatches(kvSchema!, batches) : rowsToRecordBatch([], kvSchema!, where);
      const rowIds = ids.length === 1 ? ids[0] : concatIds(ids, all.numRows);
      let maxProto = 0;
      for (const g of groups) for (const m of g.members) if (m > maxProto) maxProto = m;
      const finalOf = new Int32Array(maxProto + 1).fill(-1);
      groups.forEach((g, gi) => g.members.forEach((m) => (finalOf[m] = gi)));
      const counts = new Int32Array(groups.length + 1);
      for (let r = 0; r < rowIds.length; r++) {
        const id = rowIds[r];
        if (id >= 0 && id <= maxProto && finalOf[id] >= 0) counts[finalOf[id] + 1]++;
      }
      const offsets = new Int32Array(groups.length + 1);
      for (let f = 0; f < groups.length; f++) offsets[f + 1] = offsets[f] + counts[f + 1];
      const cursor = offsets.slice(0, groups.length);
      const order = new Int32Array(offsets[groups.length]);
      const repRow = new Int32Array(groups.length).fill(-1);
      for (let r = 0; r < rowIds.length; r++) {
        const id = rowIds[r];
        if (id < 0 || id > maxProto) continue;
        const f = finalOf[id];
        if (f < 0) continue;
        if (repRow[f] < 0) repRow[f] = r;
        order[cursor[f]++] = r;
      }
      const keyCol = all.getChild("key")!;
      const valueCol = all.getChild("value")!;
      const outSchema = ctx.schemaOf(t.outputs.main) ?? groupedSchema(keyCol.type, valueCol.type);
      const listType = outSchema.fields[1].type as arrow.List;
      chunks(groups.length, ctx.options.batchSize, (lo, hi) => {
        const reps = repRow.subarray(lo, hi);
        const keys = reps.every((r) => r >= 0)
          ? takeVector(keyCol, reps)
          : vectorFromValues(groups.slice(lo, hi).map((g) => keyValues[g.rep]), keyCol.type, where);
        const vals = takeVector(valueCol, order.subarray(offsets[lo], offsets[hi]));
        const localOffsets = new Int32Array(hi - lo + 1);
        for (let f = lo; f <= hi; f++) localOffsets[f - lo] = offsets[f] - offsets[lo];
        const listData = arrow.makeData({ type: listType, length: hi - lo, nullCount: 0, valueOffsets: localOffsets, child: vals.data[0] });
        const data = recordBatchFromColumns(outSchema, [keys, arrow.makeVector(listData)]);
        ctx.emit("main", { data, ...groupMetadata(groups.slice(lo, hi)) });
      });
    },
    clear(protos) {
      if (batches.length === 0) return;
      let maxProto = 0;
      for (const m of protos) if (m > maxProto) maxProto = m;
      const gone = new Uint8Array(maxProto + 1);
      for (const m of protos) gone[m] = 1;
      const keptBatches: arrow.RecordBatch[] = [];
      const keptIds: Int32Array[] = [];
      for (let b = 0; b < batches.length; b++) {
        const bid = ids[b];
        let keep = 0;
        for (let i = 0; i < bid.length; i++) if (bid[i] >= 0 && !(bid[i] <= maxProto && gone[bid[i]])) keep++;
        if (keep === bid.length) {
          keptBatches.push(batches[b]);
          keptIds.push(bid);
          continue;
        }
        if (keep === 0) continue;
        const rows = new Int32Array(keep);
        for (let i = 0, k = 0; i < bid.length; i++) if (bid[i] >= 0 && !(bid[i] <= maxProto && gone[bid[i]])) rows[k++] = i;
        keptBatches.push(takeRecordBatch(batches[b], rows));
        keptIds.push(Int32Array.from(rows, (i) => bid[i]));
      }
      batches = keptBatches;
      ids = keptIds;
    },
  });

  return {
    processBatch(_tag, batch: ElementBatch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      if (!kvSchema) {
        const s = batch.data.schema;
        if (!s.fields.some((f) => f.name === "key") || !s.fields.some((f) => f.name === "value")) {
          throw new SchemaError({
            code: "BL_NOT_KV",
            where,
            value: s.fields.map((f) => f.name),
            rule: "groupByKey needs rows with fields key and value",
            fix: "map rows to { key, value } first, or use groupBy(fields) to group by named fields",
          });
        }
      }
      const kv = batch.data.select(["key", "value"]);
      kvSchema ??= kv.schema;
      const keyCol = kv.getChild("key")!;
      readKey = valueReader(keyCol);
      const kcols = keyColumns(batch.data, ["key"], where);
      const keys = utf8Keys(kcols, n) ?? int32Keys(kcols, n) ?? encodeKeys(kcols, n);
      const rowIds = panes.assign(batch, keys);
      batches.push(kv);
      ids.push(rowIds);
      panes.afterBatch();
    },
    ...paneTimeHooks(panes, ctx),
    snapshot() {
      return snapshotPanes<GbkData>(panes, (protos) => {
        const keys = protos.map((p) => keyValues[p]);
        if (!kvSchema) return { rows: null, owner: new Int32Array(0), keys };
        const position = new Map<number, number>(protos.map((p, i) => [p, i]));
        const all = batches.length > 0 ? concatRecordBatches(kvSchema, batches) : rowsToRecordBatch([], kvSchema, where);
        const rowIds = ids.length === 1 ? ids[0] : concatIds(ids, all.numRows);
        const take: number[] = [];
        const owner: number[] = [];
        for (let r = 0; r < rowIds.length; r++) {
          const at = position.get(rowIds[r]);
          if (at === undefined) continue;
          take.push(r);
          owner.push(at);
        }
        return { rows: batchToState(takeRecordBatch(all, Int32Array.from(take))), owner: Int32Array.from(owner), keys };
      });
    },
    restore(state) {
      restorePanes<GbkData>(panes, state, (protos, data) => {
        protos.forEach((p, i) => (keyValues[p] = data.keys[i]));
        if (!data.rows) return;
        const rows = batchFromState(data.rows);
        kvSchema ??= rows.schema;
        if (rows.numRows === 0) return;
        batches.push(rows);
        ids.push(Int32Array.from(data.owner, (o) => protos[o]));
      });
    },
  };
}

function concatIds(parts: readonly Int32Array[], total: number): Int32Array {
  const out = new Int32Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
