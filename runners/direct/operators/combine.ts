/**
 * Combine per key (and globally), lifted: rows fold into one accumulator per key and window as they
 * arrive, so memory grows with the number of keys, not rows. Built-in numeric combiners run as
 * typed-array kernels over the input columns; custom CombineFns get values or rows.
 */
import * as arrow from "apache-arrow";
import { PaneTiming, paneFlags, type ElementBatch } from "../../../sdk/batch";
import { recordBatchFromColumns, valueReader, vectorFromValues } from "../../../sdk/columns";
import type { AggregateSpec, CombineFn, CombineRuntime } from "../../../sdk/combine";
import { SchemaError } from "../../../sdk/errors";
import { CombineAccumulators } from "../../../sdk/combine-accumulators";
import { rowAccessor } from "../../../sdk/rows";
import { inferSchema, scalarSchema, isScalarSchema } from "../../../sdk/schema";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { encodeKeys, int32Keys, keyColumns, utf8Keys } from "../data/keys";
import type { Operator, OperatorContext } from "../contract/operator";
import { GrowableColumn } from "../data/growable-columns";
import { chunks, groupMetadata } from "./gbk";
import { schemaFromBytes, schemaToBytes } from "../data/arrow-state";
import { splitPartialRows } from "../precombine/partial-rows";
import { countInto, foldInto } from "../../runtime/combine/kernels";
import { restorePanes, snapshotPanes } from "../panes/pane-snapshot";
import type { FiredGroup } from "../panes/pane-data";
import { paneTimeHooks } from "../panes/pane-time-hooks";
import { WindowPanes } from "../panes/window-panes";
import { DiskAccumulators, HeapAccumulators, type Accumulators } from "../state/accumulators";
import { DiskStore, stateRoot } from "../state/disk-store";

/** A combine's data of one key group's proto groups, for checkpoints (per member, in order). */
interface CombineData {
  /** Key values, per key field. */
  readonly keys: unknown[][];
  /** Per aggregate: columnar accumulators (`a`, `b`) or custom accumulators. */
  readonly aggs: { a: Float64Array | null; b: Float64Array | null; accs: unknown[] | null }[];
  /** Key and aggregate input types seen so far, as a schema (`key:<i>`, `agg:<name>` fields). */
  readonly types: Uint8Array;
}

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

/** The values of a one-chunk, null-free column of non-64-bit numbers, or null. */
function plainValues(vec: arrow.Vector | null): ArrayLike<number> | null {
  if (!vec || vec.data.length !== 1 || vec.nullCount > 0) return null;
  const id = vec.type.typeId;
  if (id !== arrow.Type.Float && id !== arrow.Type.Int) return null;
  const values = vec.data[0].values as ArrayLike<number>;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array || values instanceof Uint16Array && id === arrow.Type.Float) return null;
  return values;
}

interface AggState {
  readonly name: string;
  readonly spec: AggregateSpec;
  /** Columnar state. */
  a?: GrowableColumn<Float64Array>;
  b?: GrowableColumn<Float64Array>;
  /** Row-path accumulators (custom combiners), on the heap or on disk. */
  accs?: Accumulators;
  inputType: arrow.DataType | null;
}

/** The lifted combine operator. */
export function combineOperator(ctx: OperatorContext): Operator {
  const t = ctx.transform;
  const where = `transform "${t.uniqueName}"`;
  const rt = ctx.fn<CombineRuntime>();
  const strategy = ctx.windowingOf(t.inputs.main);
  const keyValues: unknown[][] = rt.keyFields.map(() => []);
  let keyTypes: arrow.DataType[] | null = null;
  const aggs: AggState[] = Object.entries(rt.aggregates).map(([name, spec]) => ({ name, spec, inputType: null }));
  let readers: ((i: number) => unknown)[] = [];
  let emitted = false;

  const combine = new CombineAccumulators(rt, t.uniqueName);
  // Custom combiners' accumulators live on disk with the disk backend (built-in ones are typed arrays).
  let store: DiskStore | null = null;
  const newAccumulators = (agg: string): Accumulators => {
    if (ctx.options.stateBackend !== "disk") return new HeapAccumulators();
    store ??= new DiskStore(stateRoot(ctx.options.stateDir), t.uniqueName, false);
    return new DiskAccumulators(store, `a${agg}\u0000`);
  };

  const initial = (kind: string | undefined) => (kind === "min" ? Infinity : kind === "max" ? -Infinity : 0);

  function grow(agg: AggState, fn: CombineFn<any, any, any>, size: number): void {
    if (agg.accs) while (agg.accs.length < size) agg.accs.set(agg.accs.length, combine.createOne(agg.name));
    if (agg.a) while (agg.a.length < size) {
      agg.a.push(initial(fn.columnar));
      agg.b?.push(0);
    }
  }

  const panes = new WindowPanes(ctx, strategy, {
    init(proto, row) {
      for (let c = 0; c < readers.length; c++) keyValues[c][proto] = readers[c](row);
    },
    emit(groups) {
      emitted = true;
      emitGroups(groups);
    },
    clear(protos) {
      for (const agg of aggs) {
        const fn = agg.spec.fn;
        if (agg.a) {
          const init = initial(fn.columnar);
          for (const m of protos) if (m < agg.a.length) {
            agg.a.data[m] = init;
            if (agg.b) agg.b.data[m] = 0;
          }
        }
        if (agg.accs) for (const m of protos) if (m < agg.accs.length) agg.accs.set(m, combine.createOne(agg.name));
      }
    },
  });

  function emitGroups(final: readonly FiredGroup[], empty = false): void {
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
          let x = initial(kind);
          let y = 0;
          for (const m of members) {
            if (kind === "min") x = Math.min(x, a[m]);
            else if (kind === "max") x = Math.max(x, a[m]);
            else x += a[m];
            if (b) y += b[m];
          }
          vals[f] = kind === "mean" ? (y === 0 ? null : x / y) : kind === "min" || kind === "max" ? (y === 0 ? null : x) : x;
        } else {
          const accs = agg.accs;
          vals[f] = combine.extractOne(agg.name, combine.mergeOne(agg.name, !accs || accs.length === 0 ? [] : members.map((m) => accs.get(m))));
        }
      }
      outCols.push(vals);
    }
    let schema = ctx.schemaOf(t.outputs.main);
    if (!schema) {
      // The columns of the output rows (see CombineAccumulators.row): the key fields, then the aggregates.
      const names = combine.outputFields;
      const types = [
        ...(keyTypes ?? []).slice(0, rt.keyFields.length),
        ...aggs.map((agg, k) => agg.spec.fn.outputType?.(agg.inputType) ?? inferSchema(outCols[rt.keyFields.length + k], `aggregate "${agg.name}" of ${where}`).fields[0].type),
      ];
      const fields = names.map((name, c) => new arrow.Field(name, types[c], true));
      schema = rt.shape === "value" ? scalarSchema({ arrow: fields[0].type }).arrow : new arrow.Schema(fields);
    }
    chunks(final.length, ctx.options.batchSize, (lo, hi) => {
      const cols = schema!.fields.map((f, c) => vectorFromValues(outCols[c].slice(lo, hi), f.type, `${where}, field ${f.name}`));
      const data = recordBatchFromColumns(schema!, cols);
      const meta = groupMetadata(final.slice(lo, hi));
      if (empty) meta.timestamps.fill(MIN_TIMESTAMP);
      ctx.emit("main", { data, ...meta });
    });
  }

  return {
    processBatch(_tag, batch: ElementBatch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      // A batch pre-combined before an exchange carries how many input rows each row stands for.
      const { data: rb, partialRows } = splitPartialRows(batch.data);
      const kcols = keyColumns(rb, rt.keyFields, where);
      if (!keyTypes) keyTypes = kcols.map((c) => c.type);
      const keys = rt.keyFields.length === 0 ? new Array(n).fill(0) : (utf8Keys(kcols, n) ?? int32Keys(kcols, n) ?? encodeKeys(kcols, n));
      readers = kcols.map((c) => valueReader(c));
      const ids = panes.assign(batch, keys, partialRows);
      const size = panes.capacity;
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
            agg.a = new GrowableColumn(new Float64Array(1024));
            if (kind === "mean" || kind === "min" || kind === "max") agg.b = new GrowableColumn(new Float64Array(1024));
          }
          grow(agg, fn, size);
          const a = agg.a.data;
          const b = agg.b?.data;
          const plain = kind === "count" ? null : plainValues(col);
          if (kind === "count") {
            countInto(ids, a, partialRows);
          } else if (plain) {
            foldInto(kind, ids, plain, a, b, partialRows);
          } else if (partialRows) {
            throw new SchemaError({ code: "BL_PARTIAL_ROWS_COLUMN", domain: "internal", where, value: agg.name, rule: "a pre-combined batch's aggregated field is not a plain numeric column" });
          } else if (kind === "sum") {
            for (let i = 0; i < n; i++) if (ids[i] >= 0 && num!.valid(i)) a[ids[i]] += num!.get(i);
          } else if (kind === "mean") {
            for (let i = 0; i < n; i++) if (ids[i] >= 0 && num!.valid(i)) { a[ids[i]] += num!.get(i); b![ids[i]]++; }
          } else if (kind === "min") {
            for (let i = 0; i < n; i++) if (ids[i] >= 0 && num!.valid(i)) { const v = num!.get(i); if (v < a[ids[i]]) a[ids[i]] = v; b![ids[i]] = 1; }
          } else {
            for (let i = 0; i < n; i++) if (ids[i] >= 0 && num!.valid(i)) { const v = num!.get(i); if (v > a[ids[i]]) a[ids[i]] = v; b![ids[i]] = 1; }
          }
          continue;
        }
        if (agg.a || partialRows) {
          throw new SchemaError({ code: agg.a ? "BL_COMBINE_INPUT_CHANGED" : "BL_PARTIAL_ROWS_COLUMN", domain: "internal", where, value: agg.name, rule: agg.a ? "column type changed between batches" : "a pre-combined batch reached a combiner without a columnar kernel" });
        }
        agg.accs ??= newAccumulators(agg.name);
        grow(agg, fn, size);
        const accs = agg.accs;
        if (col) {
          const read = valueReader(col);
          for (let i = 0; i < n; i++) {
            const g = ids[i];
            if (g < 0) continue;
            const v = read(i);
            accs.set(g, combine.addOne(agg.name, accs.get(g), v));
          }
        } else {
          rowsOf ??= rowAccessor(rb);
          for (let i = 0; i < n; i++) {
            const g = ids[i];
            if (g < 0) continue;
            const row = rowsOf(i);
            accs.set(g, combine.addOne(agg.name, accs.get(g), row));
          }
        }
      }
      panes.afterBatch();
    },
    ...paneTimeHooks(panes, ctx),
    snapshot() {
      const fields: arrow.Field[] = [];
      keyTypes?.forEach((type, c) => fields.push(new arrow.Field(`key:${c}`, type, true)));
      for (const agg of aggs) if (agg.inputType) fields.push(new arrow.Field(`agg:${agg.name}`, agg.inputType, true));
      const types = schemaToBytes(new arrow.Schema(fields));
      const snap = snapshotPanes<CombineData>(panes, (protos) => ({
        keys: keyValues.map((col) => protos.map((p) => col[p])),
        aggs: aggs.map((agg) => ({
          a: agg.a ? Float64Array.from(protos, (p) => agg.a!.data[p]) : null,
          b: agg.b ? Float64Array.from(protos, (p) => agg.b!.data[p]) : null,
          accs: agg.accs ? protos.map((p) => agg.accs!.get(p)) : null,
        })),
        types,
      }));
      return { ...snap, items: emitted ? [true] : [] };
    },
    restore(state) {
      if ((state.items ?? []).length > 0) emitted = true;
      restorePanes<CombineData>(panes, state, (protos, data) => {
        const types = schemaFromBytes(data.types);
        const keyFieldsSeen = types.fields.filter((f) => f.name.startsWith("key:"));
        if (!keyTypes && keyFieldsSeen.length === rt.keyFields.length && keyFieldsSeen.length > 0) keyTypes = keyFieldsSeen.map((f) => f.type);
        for (const agg of aggs) agg.inputType ??= types.fields.find((f) => f.name === `agg:${agg.name}`)?.type ?? null;
        protos.forEach((p, i) => {
          for (let c = 0; c < keyValues.length; c++) keyValues[c][p] = data.keys[c][i];
        });
        const size = panes.capacity;
        aggs.forEach((agg, k) => {
          const d = data.aggs[k];
          const fn = agg.spec.fn;
          if (d.a) {
            if (!agg.a) {
              agg.a = new GrowableColumn(new Float64Array(1024));
              if (d.b) agg.b = new GrowableColumn(new Float64Array(1024));
            }
            grow(agg, fn, size);
            protos.forEach((p, i) => {
              agg.a!.data[p] = d.a![i];
              if (agg.b && d.b) agg.b.data[p] = d.b[i];
            });
          } else if (d.accs) {
            agg.accs ??= newAccumulators(agg.name);
            grow(agg, fn, size);
            protos.forEach((p, i) => agg.accs!.set(p, d.accs![i]));
          }
        });
      });
    },
    async close() {
      await store?.close();
    },
    finish() {
      // Combining nothing globally yields the combiner's empty result, as in Beam.
      if (emitted || panes.seenData || rt.keyFields.length > 0 || strategy.windowFn.kind !== "global") return;
      emitGroups([{ rep: 0, members: [], key: 0, start: MIN_TIMESTAMP, end: GLOBAL_WINDOW_MAX_TIMESTAMP + 1, flags: paneFlags(PaneTiming.OnTime, true, true), index: 0, nonSpeculativeIndex: 0, timestamp: MIN_TIMESTAMP }], true);
    },
  };
}
