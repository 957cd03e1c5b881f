/**
 * Combine per key (and globally), lifted: rows fold into one accumulator per key and window as they
 * arrive, so memory grows with the number of keys, not rows. Built-in numeric combiners run as
 * typed-array kernels over the input columns; custom CombineFns get values or rows.
 */
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../sdk/batch";
import { recordBatchFromColumns, valueReader, vectorFromValues } from "../../../sdk/columns";
import type { AggregateSpec, CombineFn, CombineRuntime } from "../../../sdk/combine";
import { SchemaError, wrapUserError } from "../../../sdk/errors";
import { rowAccessor } from "../../../sdk/rows";
import { inferSchema, scalarSchema, isScalarSchema } from "../../../sdk/schema";
import { MIN_TIMESTAMP } from "../../../sdk/time";
import { encodeKeys, keyColumns } from "../keys";
import type { Operator, OperatorContext } from "../operator";
import { F64, WindowedGroups } from "./groups";
import { groupTimestamp, groupWindows, onTimePanes } from "./gbk";

/** Typed-array access to a numeric column: values and a validity test, or null if not numeric. */
function numeric(vec: arrow.Vector): { get: (i: number) => number; valid: (i: number) => boolean } | null {
  const id = vec.type.typeId;
  if (id !== arrow.Type.Float && id !== arrow.Type.Int && id !== arrow.Type.Timestamp) return null;
  if (vec.data.length !== 1) {
    const read = valueReader(vec);
    return { get: (i) => Number(read(i)), valid: (i) => read(i) !== null };
  }
  const d = vec.data[0];
  const values = d.values as ArrayLike<number | bigint>;
  const off = d.offset;
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
  // Arrow JS slices the values buffer of a sliced Data; only the validity bitmap keeps the offset.
  const get = big ? (i: number) => Number(values[i]) : (i: number) => values[i] as number;
  const bitmap = d.nullCount > 0 ? d.nullBitmap : null;
  const valid = bitmap ? (i: number) => ((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1) === 1 : () => true;
  return { get, valid };
}

interface AggState {
  readonly name: string;
  readonly spec: AggregateSpec;
  /** Columnar state. */
  a?: F64;
  b?: F64;
  /** Row-path accumulators. */
  accs?: unknown[];
  inputType: arrow.DataType | null;
}

/** The lifted combine operator. */
export function combineOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  const where = `transform "${t.uniqueName}"`;
  const rt = ctx.fn<CombineRuntime>();
  const strategy = ctx.windowingOf(t.inputs.main);
  const groups = new WindowedGroups(strategy);
  const keyValues: unknown[][] = rt.keyFields.map(() => []);
  let keyTypes: arrow.DataType[] | null = null;
  const minTs = new F64();
  const maxTs = new F64();
  const aggs: AggState[] = Object.entries(rt.aggregates).map(([name, spec]) => ({ name, spec, inputType: null }));

  const call = <R>(f: () => R, value?: unknown): R => {
    try {
      return f();
    } catch (e) {
      throw wrapUserError(e, t.uniqueName, value);
    }
  };

  function grow(agg: AggState, fn: CombineFn<any, any, any>, size: number): void {
    if (agg.accs) while (agg.accs.length < size) agg.accs.push(call(() => fn.createAccumulator()));
    if (agg.a) while (agg.a.length < size) {
      const kind = fn.columnar;
      agg.a.push(kind === "min" ? Infinity : kind === "max" ? -Infinity : 0);
      agg.b?.push(0);
    }
  }

  return {
    processBatch(_tag, batch: ElementBatch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      const rb = batch.data;
      const kcols = keyColumns(rb, rt.keyFields, where);
      if (!keyTypes) keyTypes = kcols.map((c) => c.type);
      const keys = rt.keyFields.length === 0 ? new Array(n).fill(0) : encodeKeys(kcols, n);
      const readers = kcols.map((c) => valueReader(c));
      const ids = groups.assign(batch, keys, (g, row) => {
        for (let c = 0; c < readers.length; c++) keyValues[c][g] = readers[c](row);
        minTs.push(Infinity);
        maxTs.push(-Infinity);
      });
      const ts = batch.timestamps;
      for (let i = 0; i < n; i++) {
        const g = ids[i];
        if (ts[i] < minTs.data[g]) minTs.data[g] = ts[i];
        if (ts[i] > maxTs.data[g]) maxTs.data[g] = ts[i];
      }
      let rowsOf: ((i: number) => unknown) | null = null;
      for (const agg of aggs) {
        const fn = agg.spec.fn;
        let col: arrow.Vector | null = null;
        if (agg.spec.field === null && isScalarSchema(rb.schema)) {
          col = rb.getChild("value");
          agg.inputType ??= col!.type;
        } else if (agg.spec.field !== null) {
          col = rb.getChild(agg.spec.field);
          if (!col) {
            throw new SchemaError({
              code: "BL_NO_SUCH_FIELD",
              where,
              value: agg.spec.field,
              rule: `the rows have no field of this name (fields: ${rb.schema.fields.map((f) => f.name).join(", ")})`,
              fix: "aggregate an existing field",
            });
          }
          agg.inputType ??= col.type;
        }
        const num = col ? numeric(col) : null;
        const kind = fn.columnar;
        if (kind && (kind === "count" || num) && !agg.accs) {
          if (!agg.a) {
            agg.a = new F64();
            if (kind === "mean" || kind === "min" || kind === "max") agg.b = new F64();
          }
          grow(agg, fn, groups.size);
          const a = agg.a.data;
          const b = agg.b?.data;
          if (kind === "count") {
            for (let i = 0; i < n; i++) a[ids[i]]++;
          } else if (kind === "sum") {
            for (let i = 0; i < n; i++) if (num!.valid(i)) a[ids[i]] += num!.get(i);
          } else if (kind === "mean") {
            for (let i = 0; i < n; i++) if (num!.valid(i)) { a[ids[i]] += num!.get(i); b![ids[i]]++; }
          } else if (kind === "min") {
            for (let i = 0; i < n; i++) if (num!.valid(i)) { const v = num!.get(i); if (v < a[ids[i]]) a[ids[i]] = v; b![ids[i]] = 1; }
          } else {
            for (let i = 0; i < n; i++) if (num!.valid(i)) { const v = num!.get(i); if (v > a[ids[i]]) a[ids[i]] = v; b![ids[i]] = 1; }
          }
          continue;
        }
        if (agg.a) {
          throw new SchemaError({ code: "BL_COMBINE_INPUT_CHANGED", domain: "internal", where, value: agg.name, rule: "column type changed between batches" });
        }
        agg.accs ??= [];
        grow(agg, fn, groups.size);
        const accs = agg.accs;
        if (col) {
          const read = valueReader(col);
          for (let i = 0; i < n; i++) {
            const v = read(i);
            const g = ids[i];
            accs[g] = call(() => fn.addInput(accs[g], v), v);
          }
        } else {
          rowsOf ??= rowAccessor(rb);
          for (let i = 0; i < n; i++) {
            const row = rowsOf(i);
            const g = ids[i];
            accs[g] = call(() => fn.addInput(accs[g], row), row);
          }
        }
      }
    },
    finish() {
      let final = groups.finalGroups();
      const global = rt.keyFields.length === 0;
      let empty = false;
      if (final.length === 0) {
        if (!(global && strategy.windowFn.kind === "global")) return;
        // Combining nothing globally yields the combiner's empty result, as in Beam.
        empty = true;
        final = [{ members: [], start: -Infinity, end: Infinity, rep: -1 }];
      }
      const outCols: unknown[][] = [];
      for (let c = 0; c < rt.keyFields.length; c++) outCols.push(final.map((g) => keyValues[c][g.rep]));
      for (const agg of aggs) {
        const fn = agg.spec.fn;
        const kind = fn.columnar;
        const vals = new Array<unknown>(final.length);
        for (let f = 0; f < final.length; f++) {
          const members = final[f].members;
          if (agg.a) {
            const a = agg.a.data;
            const b = agg.b?.data;
            let x = kind === "min" ? Infinity : kind === "max" ? -Infinity : 0;
            let y = 0;
            for (const m of members) {
              if (kind === "min") x = Math.min(x, a[m]);
              else if (kind === "max") x = Math.max(x, a[m]);
              else x += a[m];
              if (b) y += b[m];
            }
            vals[f] = kind === "mean" ? (y === 0 ? null : x / y) : kind === "min" || kind === "max" ? (y === 0 ? null : x) : x;
          } else {
            const accs = agg.accs ?? [];
            const acc =
              members.length === 0
                ? call(() => fn.createAccumulator())
                : members.length === 1
                  ? accs[members[0]]
                  : call(() => fn.mergeAccumulators(members.map((m) => accs[m])));
            vals[f] = call(() => fn.extractOutput(acc));
          }
        }
        outCols.push(vals);
      }
      let schema = ctx.schemaOf(t.outputs.main);
      if (!schema) {
        const fields: arrow.Field[] = [];
        rt.keyFields.forEach((name, c) => fields.push(new arrow.Field(name, keyTypes![c], true)));
        aggs.forEach((agg, k) => {
          const declared = agg.spec.fn.outputType?.(agg.inputType);
          const type = declared ?? inferSchema(outCols[rt.keyFields.length + k], `aggregate "${agg.name}" of ${where}`).fields[0].type;
          fields.push(new arrow.Field(agg.name, type, true));
        });
        schema = rt.shape === "value" ? scalarSchema({ arrow: fields[0].type }).arrow : new arrow.Schema(fields);
      }
      const chunk = Math.max(1, ctx.options.batchSize);
      for (let lo = 0; lo < final.length; lo += chunk) {
        const hi = Math.min(final.length, lo + chunk);
        const cols = schema.fields.map((f, c) => vectorFromValues(outCols[c].slice(lo, hi), f.type, `${where}, field ${f.name}`));
        const data = recordBatchFromColumns(schema, cols);
        const slice = final.slice(lo, hi);
        const timestamps = new Float64Array(hi - lo);
        for (let f = lo; f < hi; f++) {
          const g = final[f];
          let mn = Infinity;
          let mx = -Infinity;
          for (const m of g.members) {
            mn = Math.min(mn, minTs.data[m]);
            mx = Math.max(mx, maxTs.data[m]);
          }
          timestamps[f - lo] = empty ? MIN_TIMESTAMP : groupTimestamp(strategy, g, mn, mx, groups.intervals);
        }
        ctx.emit("main", { data, timestamps, windows: groupWindows(slice, groups.intervals), panes: onTimePanes(hi - lo) });
      }
    },
  };
}
