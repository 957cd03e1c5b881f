/**
 * Grouping and combining: GroupByKey over `{key, value}` rows, relational grouping by named fields
 * (with `aggregate` for lifted, columnar aggregations), and combine per key / globally with any
 * CombineFn. Combines are composites with Beam's combine URNs: runners that know them lift the
 * combine (partial aggregation before the shuffle); others run the expansion (GroupByKey, then
 * combine the grouped values).
 */
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../sdk/batch";
import { recordBatchFromColumns } from "../sdk/columns";
import { CombineAccumulators } from "../sdk/combine-accumulators";
import { AggregateSpec, COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN, CombineFn, CombinePayload, CombineRuntime } from "../sdk/combine";
import { SchemaError } from "../sdk/errors";
import { GROUP_BY_KEY_URN, Grouped, groupedSchema, KV, kvTypes } from "../sdk/kv";
import { columnar, map } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { isScalarSchema, scalarSchema } from "../sdk/schema";
import { PTransform, type ExpandContext } from "../sdk/transform";
import type { Aggregation } from "./combiners";

/** Groups `{key, value}` rows into `{key, values}` per key and window. */
export function groupByKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<Grouped<K, V>>> {
  return new (class extends PTransform<PCollection<KV<K, V>>, PCollection<Grouped<K, V>>> {
    expand(input: PCollection<KV<K, V>>, ctx: ExpandContext): PCollection<Grouped<K, V>> {
      const types = kvTypes(input.schema);
      if (input.schema && !types) throw notKv(ctx.name, input.schema);
      return ctx.primitive({
        urn: GROUP_BY_KEY_URN,
        payload: {},
        inputs: { main: input },
        outputs: { main: { schema: types ? groupedSchema(types.key, types.value) : null } },
      }).main;
    }
  })("GroupByKey");
}

function notKv(where: string, s: arrow.Schema): SchemaError {
  return new SchemaError({
    code: "BL_NOT_KV",
    where: `transform "${where}"`,
    value: s.fields.map((f) => f.name),
    rule: "groupByKey and combinePerKey need rows with exactly the fields key and value",
    fix: "map rows to { key, value } first, or group by named fields with groupBy(...)",
  });
}

function checkFields(where: string, s: arrow.Schema | null, fields: readonly string[]): void {
  if (!s) return;
  for (const f of fields) {
    if (!s.fields.some((x) => x.name === f)) {
      throw new SchemaError({
        code: "BL_NO_SUCH_FIELD",
        where: `transform "${where}"`,
        value: f,
        rule: `the rows have no field of this name (fields: ${s.fields.map((x) => x.name).join(", ")})`,
        fix: "use one of the existing fields, or add it with map / withColumn first",
      });
    }
  }
}

/** A struct column made of some columns of a batch (no copy). */
function structColumn(batch: arrow.RecordBatch, fields: readonly string[]): arrow.Vector {
  const children = fields.map((f) => batch.getChild(f)!.data[0]);
  const type = new arrow.Struct(fields.map((f) => batch.schema.fields.find((x) => x.name === f)!));
  return arrow.makeVector(arrow.makeData({ type, length: batch.numRows, nullCount: 0, children }));
}

/** Rows `{key: {fields…}, value: row}` from rows, without per-row objects. */
function toKeyed(where: string, keyFields: readonly string[]) {
  return columnar<any, any>(
    "KeyBy",
    (batch: ElementBatch, emit) => {
      checkFields(where, batch.data.schema, keyFields);
      const key = structColumn(batch.data, keyFields);
      const value = isScalarSchema(batch.data.schema) ? batch.data.getChild("value")! : structColumn(batch.data, batch.data.schema.fields.map((f) => f.name));
      const schema = new arrow.Schema([new arrow.Field("key", key.type, true), new arrow.Field("value", value.type, true)]);
      emit("main", { ...batch, data: recordBatchFromColumns(schema, [key, value]) });
    },
    null,
    { keyFields: [...keyFields] },
  );
}

/** Relational grouping by named fields; call `.aggregate({...})` for aggregations, or apply it as is for `{key, values}` rows. */
export class GroupBy<T> extends PTransform<PCollection<T>, PCollection<Grouped<Partial<T>, T>>> {
  constructor(readonly fields: readonly string[]) {
    super("GroupBy");
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<Grouped<Partial<T>, T>> {
    checkFields(ctx.name, input.schema, this.fields);
    return input.apply("KeyBy", toKeyed(ctx.name, this.fields)).apply("GroupByKey", groupByKey<any, any>());
  }

  /** Aggregates each group: one output row per group with the key fields and one field per aggregation. */
  aggregate<A extends Record<string, Aggregation<any>>>(aggregations: A): PTransform<PCollection<T>, PCollection<Record<string, unknown>>> {
    return new CombineTransform<T, Record<string, unknown>>("Aggregate", { keyFields: this.fields, aggregates: aggregations, shape: "flat" });
  }
}

/** Groups rows by the named fields. */
export function groupBy<T>(...fields: (string | readonly string[])[]): GroupBy<T> {
  return new GroupBy<T>(fields.flat());
}

function asAggregation(fn: CombineFn<any, any, any> | Aggregation<any>): AggregateSpec {
  return "fn" in fn && "field" in fn ? fn : { field: null, fn: fn as CombineFn<any, any, any> };
}

/** Combines the values of each key with a CombineFn (or built-in aggregation): `{key, value}` → `{key, value}`. */
export function combinePerKey<K, V, O>(fn: CombineFn<V, any, O> | Aggregation<O>): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, O>>> {
  const agg = asAggregation(fn);
  return new CombineTransform<KV<K, V>, KV<K, O>>("CombinePerKey", {
    keyFields: ["key"],
    aggregates: { value: { field: agg.field ?? "value", fn: agg.fn } },
    shape: "kv",
  });
}

/** Combines all elements of each window into one value (an empty input gives the combiner's empty result). */
export function combineGlobally<I, O>(fn: CombineFn<I, any, O> | Aggregation<O>): PTransform<PCollection<I>, PCollection<O>> {
  const agg = asAggregation(fn);
  return new CombineTransform<I, O>("CombineGlobally", { keyFields: [], aggregates: { value: agg }, shape: "value" });
}

/** The combine composite: annotated for lifting, expanded as GroupByKey + combine of grouped values. */
class CombineTransform<I, O> extends PTransform<PCollection<I>, PCollection<O>> {
  constructor(
    label: string,
    private readonly rt: CombineRuntime,
  ) {
    super(label);
  }

  expand(input: PCollection<I>, ctx: ExpandContext): PCollection<O> {
    const rt = this.rt;
    const global = rt.keyFields.length === 0;
    if (rt.shape === "kv" && input.schema && !kvTypes(input.schema)) throw notKv(ctx.name, input.schema);
    if (rt.shape === "flat") checkFields(ctx.name, input.schema, rt.keyFields);
    const aggFields = Object.values(rt.aggregates).map((a) => a.field).filter((f): f is string => f !== null && rt.shape === "flat");
    checkFields(ctx.name, input.schema, aggFields);
    ctx.annotate(
      global ? COMBINE_GLOBALLY_URN : COMBINE_PER_KEY_URN,
      {
        keyFields: [...rt.keyFields],
        aggregates: Object.fromEntries(Object.entries(rt.aggregates).map(([name, a]) => [name, { field: a.field, combiner: a.fn.columnar ?? "custom" }])),
        shape: rt.shape,
      } satisfies CombinePayload,
      rt,
    );
    // The expansion, for runners that do not lift combines: key, group, then combine each group.
    const keyed = input.apply("KeyBy", toKeyed(ctx.name, global ? [] : rt.keyFields));
    const grouped = keyed.apply("GroupByKey", groupByKey<any, any>());
    const outSchema = this.outputSchema(input.schema);
    const accs = new CombineAccumulators(rt, ctx.name);
    return grouped.apply(
      "CombineValues",
      map<Grouped<Record<string, unknown>, unknown>, O>(
        (g) => {
          const acc = accs.create();
          for (const v of g.values) accs.add(acc, v);
          return accs.output(g.key, acc) as O;
        },
        outSchema ? { schema: outSchema } : undefined,
      ),
    );
  }

  private outputSchema(input: arrow.Schema | null): arrow.Schema | null {
    if (!input) return null;
    const fields: arrow.Field[] = [];
    for (const k of this.rt.keyFields) fields.push(input.fields.find((f) => f.name === k)!);
    for (const [name, a] of Object.entries(this.rt.aggregates)) {
      if (!a.fn.outputType) return null;
      const inType = a.field === null ? (isScalarSchema(input) ? input.fields[0].type : null) : input.fields.find((f) => f.name === a.field)?.type ?? null;
      fields.push(new arrow.Field(name, a.fn.outputType(inType), true));
    }
    if (this.rt.shape === "value") return scalarSchema({ arrow: fields[0].type }).arrow;
    return new arrow.Schema(fields);
  }
}

/** Counts each distinct element: `{key: element, value: count}` rows (Beam's Count.perElement), columnar. */
export function countPerElement<T>(): PTransform<PCollection<T>, PCollection<KV<T, number>>> {
  return new (class extends PTransform<PCollection<T>, PCollection<KV<T, number>>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<KV<T, number>> {
      if (input.schema && !isScalarSchema(input.schema)) {
        throw new SchemaError({
          code: "BL_NOT_SCALAR",
          where: `transform "${ctx.name}"`,
          value: input.schema.fields.map((f) => f.name),
          rule: "countPerElement counts bare values, and these rows are objects",
          fix: 'count rows per field instead: groupBy("field").aggregate({ n: count() })',
        });
      }
      const counted = input.apply("Count", new CombineTransform<T, { value: T; count: number }>("Count", {
        keyFields: ["value"],
        aggregates: { count: { field: null, fn: countFn() } },
        shape: "flat",
      }));
      const outSchema = counted.schema ? kvSchemaOf(counted.schema) : null;
      return counted.apply(
        "ToKV",
        columnar<{ value: T; count: number }, KV<T, number>>(
          "ToKV",
          (batch, emit) => {
            const s = outSchema ?? kvSchemaOf(batch.data.schema);
            emit("main", { ...batch, data: recordBatchFromColumns(s, [batch.data.getChild("value")!, batch.data.getChild("count")!]) });
          },
          outSchema,
          { rename: { value: "key", count: "value" } },
        ),
      );
    }
  })("CountPerElement");
}

function kvSchemaOf(s: arrow.Schema): arrow.Schema {
  return new arrow.Schema([new arrow.Field("key", s.fields[0].type, true), new arrow.Field("value", s.fields[1].type, true)]);
}

function countFn(): CombineFn<unknown, number, number> {
  return {
    createAccumulator: () => 0,
    addInput: (a) => a + 1,
    mergeAccumulators: (as) => as.reduce((x, y) => x + y, 0),
    extractOutput: (a) => a,
    outputType: () => new arrow.Int64(),
    columnar: "count",
  };
}
