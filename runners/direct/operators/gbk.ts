/**
 * GroupByKey: buffers `{key, value}` batches columnar, then emits `{key, values}` per key and window
 * when input ends, gathering each group's values with one take over the concatenated value column.
 */
import * as arrow from "apache-arrow";
import { ElementBatch, GLOBAL_WINDOWS, PaneTiming, paneFlags, WindowColumn } from "../../../sdk/batch";
import { concatRecordBatches, recordBatchFromColumns, takeVector } from "../../../sdk/columns";
import { SchemaError } from "../../../sdk/errors";
import { groupedSchema } from "../../../sdk/kv";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../../sdk/time";
import type { WindowingStrategy } from "../../../sdk/window";
import { encodeKeys, keyColumns } from "../keys";
import type { Operator, OperatorContext } from "../operator";
import { FinalGroup, WindowedGroups } from "./groups";

/** Output timestamp of a group under the strategy's timestamp combiner. */
export function groupTimestamp(strategy: WindowingStrategy, g: FinalGroup, minTs: number, maxTs: number, intervals: boolean): number {
  switch (strategy.timestampCombiner) {
    case "earliest":
      return minTs;
    case "latest":
      return maxTs;
    default:
      return intervals ? g.end - 1 : GLOBAL_WINDOW_MAX_TIMESTAMP;
  }
}

/** Builds the windows column of emitted groups. */
export function groupWindows(groups: readonly FinalGroup[], intervals: boolean): WindowColumn {
  if (!intervals) return GLOBAL_WINDOWS;
  const start = new Float64Array(groups.length);
  const end = new Float64Array(groups.length);
  groups.forEach((g, i) => {
    start[i] = g.start;
    end[i] = g.end;
  });
  return { kind: "interval", start, end };
}

/** On-time, first and last panes for `n` rows: what a single firing at the end of input produces. */
export function onTimePanes(n: number) {
  return { flags: new Uint8Array(n).fill(paneFlags(PaneTiming.OnTime, true, true)), index: new Int32Array(n) };
}

/** The GroupByKey operator. */
export function gbkOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  const where = `transform "${t.uniqueName}"`;
  const strategy = ctx.windowingOf(t.inputs.main);
  const groups = new WindowedGroups(strategy);
  const batches: arrow.RecordBatch[] = [];
  const ids: Int32Array[] = [];
  const tss: Float64Array[] = [];
  let schema: arrow.Schema | null = null;

  return {
    processBatch(_tag, batch: ElementBatch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      if (!schema) {
        schema = batch.data.schema;
        if (!schema.fields.some((f) => f.name === "key") || !schema.fields.some((f) => f.name === "value")) {
          throw new SchemaError({
            code: "BL_NOT_KV",
            where,
            value: schema.fields.map((f) => f.name),
            rule: "groupByKey needs rows with fields key and value",
            fix: "map rows to { key, value } first, or use groupBy(fields) to group by named fields",
          });
        }
      }
      const keys = encodeKeys(keyColumns(batch.data, ["key"], where), n);
      ids.push(groups.assign(batch, keys, () => {}));
      batches.push(batch.data.select(["key", "value"]));
      tss.push(batch.timestamps);
    },
    finish() {
      if (!schema || groups.size === 0) return;
      const kvSchema = batches[0].schema;
      const all = concatRecordBatches(kvSchema, batches);
      const keyCol = all.getChild("key")!;
      const valueCol = all.getChild("value")!;
      const final = groups.finalGroups();
      // proto-group → final group
      const finalOf = new Int32Array(groups.size);
      final.forEach((g, fi) => g.members.forEach((m) => (finalOf[m] = fi)));
      const total = all.numRows;
      const counts = new Int32Array(final.length + 1);
      const minTs = new Float64Array(final.length).fill(Infinity);
      const maxTs = new Float64Array(final.length).fill(-Infinity);
      const rowFinal = new Int32Array(total);
      let r = 0;
      for (let b = 0; b < ids.length; b++) {
        const bid = ids[b];
        const ts = tss[b];
        for (let i = 0; i < bid.length; i++, r++) {
          const f = finalOf[bid[i]];
          rowFinal[r] = f;
          counts[f + 1]++;
          if (ts[i] < minTs[f]) minTs[f] = ts[i];
          if (ts[i] > maxTs[f]) maxTs[f] = ts[i];
        }
      }
      const offsets = new Int32Array(final.length + 1);
      for (let f = 0; f < final.length; f++) offsets[f + 1] = offsets[f] + counts[f + 1];
      const cursor = offsets.slice(0, final.length);
      const order = new Int32Array(total);
      const repRow = new Int32Array(final.length).fill(-1);
      for (let i = 0; i < total; i++) {
        const f = rowFinal[i];
        if (repRow[f] < 0) repRow[f] = i;
        order[cursor[f]++] = i;
      }
      const outSchema = ctx.schemaOf(t.outputs.main) ?? groupedSchema(keyCol.type, valueCol.type);
      const chunk = Math.max(1, ctx.options.batchSize);
      for (let lo = 0; lo < final.length; lo += chunk) {
        const hi = Math.min(final.length, lo + chunk);
        const keys = takeVector(keyCol, repRow.subarray(lo, hi));
        const vals = takeVector(valueCol, order.subarray(offsets[lo], offsets[hi]));
        const localOffsets = new Int32Array(hi - lo + 1);
        for (let f = lo; f <= hi; f++) localOffsets[f - lo] = offsets[f] - offsets[lo];
        const listType = outSchema.fields[1].type as arrow.List;
        const listData = arrow.makeData({
          type: listType,
          length: hi - lo,
          nullCount: 0,
          valueOffsets: localOffsets,
          child: vals.data[0],
        });
        const data = recordBatchFromColumns(outSchema, [keys, arrow.makeVector(listData)]);
        const slice = final.slice(lo, hi);
        const timestamps = new Float64Array(hi - lo);
        for (let f = lo; f < hi; f++) timestamps[f - lo] = groupTimestamp(strategy, final[f], minTs[f], maxTs[f], groups.intervals);
        ctx.emit("main", { data, timestamps, windows: groupWindows(slice, groups.intervals), panes: onTimePanes(hi - lo) });
      }
    },
  };
}
