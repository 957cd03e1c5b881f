/**
 * Joins: `coGroupByKey` over several `{key, value}` PCollections, and relational joins of rows by
 * named fields (inner, left, right, full outer). Both are composites of primitives the runners know:
 * each input is tagged (a columnar ParDo), the tagged inputs are flattened and grouped by key, and the
 * groups are split back per input (coGroupByKey) or expanded into joined rows (join).
 *
 * When every input's schema is known at construction, values travel in their own Arrow types and the
 * output schema is declared. When some schema is only known at run time, keys travel as canonical
 * strings and values serialized, and the output types are read from the data.
 */
import * as v8 from "node:v8";
import * as arrow from "apache-arrow";
import { ElementBatch, takeMetadata } from "../sdk/batch";
import { dataReader, makeRecordBatch, singleData, takeData, valueReader, vectorFromValues } from "../sdk/columns";
import { PipelineConstructionError, SchemaError } from "../sdk/errors";
import { KV, kvSchema, kvTypes } from "../sdk/kv";
import { columnar } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { describeType, schemaFromJson, schemaToJson } from "../sdk/schema";
import { PTransform, type ExpandContext } from "../sdk/transform";
import { groupByKey } from "./group";
import { flatten } from "./windowing";

// ---------------------------------------------------------------------------------------------
// coGroupByKey
// ---------------------------------------------------------------------------------------------

/** The value type of a `{key, value}` PCollection. */
type ValueOf<P> = P extends PCollection<KV<any, infer V>> ? V : never;

/** A row of {@link coGroupByKey}: the key and, per input tag, that input's values for the key. */
export type CoGrouped<K, R extends Record<string, PCollection<KV<K, any>>>> = { key: K } & { [T in keyof R]: ValueOf<R[T]>[] };

/** Options of {@link coGroupByKey}. */
export interface CoGroupByKeyOptions {
  /** The name to apply it under (default "CoGroupByKey"). */
  readonly name?: string;
}

const TAG_FIELD = "t";

function typesEqual(a: arrow.DataType, b: arrow.DataType): boolean {
  return arrow.util.compareTypes(a, b);
}

function typeToString(t: arrow.DataType): string {
  return JSON.stringify(schemaToJson(new arrow.Schema([new arrow.Field("x", t, true)])).fields[0].type);
}

function typeFromString(s: string): arrow.DataType {
  return schemaFromJson({ fields: [{ name: "x", type: JSON.parse(s), nullable: true }] }).fields[0].type;
}

/**
 * A type as the graph rebuilds it from JSON. Runners compare column types with the schema's, and Arrow's
 * type comparison is not symmetric between, say, `Int32` and an equal `Int_(true, 32)`; data this module
 * emits therefore carries the rebuilt types.
 */
function normType(t: arrow.DataType): arrow.DataType {
  return typeFromString(typeToString(t));
}

/** A batch of `schema` over the given columns (one chunk each), typed exactly as the schema says. */
function assemble(schema: arrow.Schema, columns: readonly (arrow.Data | arrow.Vector)[]): arrow.RecordBatch {
  const datas = columns.map((c, i) => {
    const d = c instanceof arrow.Data ? c : singleData(c);
    const type = schema.fields[i].type;
    return d.type === type ? d : d.clone(type);
  });
  return makeRecordBatch(schema, datas, datas.length ? datas[0].length : 0);
}

/** A Data chunk of `n` nulls of a type. */
function nullData(type: arrow.DataType, n: number): arrow.Data {
  return singleData(vectorFromValues(new Array(n).fill(null), type, "nullData"));
}

/** Rows `{key: canonical, …}`: a canonical string for a key value, so that equal keys group together. */
function canonicalKey(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `b64:${Buffer.from(x).toString("base64")}` : x,
  );
}

/** Validates the inputs of a coGroupByKey; returns the key and value types when all schemas are known. */
function checkCoGroupInputs(
  where: string,
  inputs: Record<string, PCollection<any>>,
): { key: arrow.DataType; values: arrow.DataType[] } | null {
  const tags = Object.keys(inputs);
  if (tags.length === 0) {
    throw new PipelineConstructionError({
      code: "BL_EMPTY_COGROUP",
      where,
      value: {},
      rule: "coGroupByKey needs at least one input",
      fix: "pass a record of PCollections, e.g. coGroupByKey({ orders, payments })",
    });
  }
  for (const tag of tags) {
    if (tag === "key" || tag === "") {
      throw new PipelineConstructionError({
        code: "BL_BAD_COGROUP_TAG",
        where,
        value: tag,
        rule: 'an input tag names a field of the output rows, beside "key"; it may not be empty or "key"',
        fix: "rename the input, e.g. coGroupByKey({ keyed: pc })",
      });
    }
  }
  let key: arrow.DataType | null = null;
  let keyTag = "";
  const values: arrow.DataType[] = [];
  let allKnown = true;
  for (const tag of tags) {
    const s = inputs[tag].schema;
    if (!s) {
      allKnown = false;
      continue;
    }
    const kv = kvTypes(s);
    if (!kv) {
      throw new SchemaError({
        code: "BL_NOT_KV",
        where,
        value: s.fields.map((f) => f.name),
        rule: `input "${tag}" of coGroupByKey must have rows with exactly the fields key and value`,
        fix: "map its rows to { key, value } first, or join rows by named fields with join(left, right, { on })",
      });
    }
    if (key === null) {
      key = kv.key;
      keyTag = tag;
    } else if (!typesEqual(key, kv.key)) {
      throw new SchemaError({
        code: "BL_JOIN_KEY_TYPES",
        where,
        value: { [keyTag]: describeType(key), [tag]: describeType(kv.key) },
        rule: `the keys of input "${keyTag}" are ${describeType(key)} but those of input "${tag}" are ${describeType(kv.key)}; keys of different types never match`,
        fix: "convert the keys to one type before grouping (for example map({ key: String(r.key), value: r.value }) on both)",
      });
    }
    values.push(kv.value);
  }
  return allKnown && key ? { key, values } : null;
}

/** The typed tagging step: `{key, value}` → `{key, value: {t, v0…vk}}` with nulls in the other inputs' slots. */
function typedTagger(i: number, union: arrow.Struct, schema: arrow.Schema) {
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const n = batch.data.numRows;
    const tags = new Int32Array(n).fill(i);
    const children = union.children.map((f, j) =>
      j === 0
        ? arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: tags })
        : j === i + 1
          ? singleData(batch.data.getChild("value")!)
          : nullData(f.type, n),
    );
    const value = arrow.makeData({ type: union, length: n, nullCount: 0, children });
    emit("main", { ...batch, data: assemble(schema, [batch.data.getChild("key")!, value]) });
  };
}

/** Normalises a list column to one chunk at offset 0 (so its offsets index its child directly). */
function listData(col: arrow.Vector): arrow.Data {
  const d = singleData(col);
  if (d.offset === 0) return d;
  return takeData(d, Int32Array.from({ length: d.length }, (_, i) => i));
}

/** The typed split step: `{key, values: [{t, v0…vk}]}` → `{key, tag0: [...], …}`. */
function typedSplitter(tags: readonly string[], schema: arrow.Schema) {
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const g = batch.data.numRows;
    const list = listData(batch.data.getChild("values")!);
    const offsets = list.valueOffsets as Int32Array;
    const items = list.children[0];
    const readTag = dataReader(items.children[0]);
    const columns: (arrow.Data | arrow.Vector)[] = [batch.data.getChild("key")!];
    tags.forEach((_, i) => {
      const outOffsets = new Int32Array(g + 1);
      const picked: number[] = [];
      for (let r = 0; r < g; r++) {
        for (let p = offsets[r]; p < offsets[r + 1]; p++) if (readTag(p) === i) picked.push(p);
        outOffsets[r + 1] = picked.length;
      }
      const child = takeData(items.children[i + 1], Int32Array.from(picked));
      const type = schema.fields[i + 1].type as arrow.List;
      columns.push(arrow.makeData({ type, length: g, nullCount: 0, valueOffsets: outOffsets, child }));
    });
    emit("main", { ...batch, data: assemble(schema, columns) });
  };
}

const DYN_UNION = new arrow.Struct([
  new arrow.Field(TAG_FIELD, new arrow.Int32(), true),
  new arrow.Field("k", new arrow.Binary(), true),
  new arrow.Field("v", new arrow.Binary(), true),
  new arrow.Field("kt", new arrow.Utf8(), true),
  new arrow.Field("vt", new arrow.Utf8(), true),
]);
const DYN_SCHEMA = kvSchema(new arrow.Utf8(), DYN_UNION);

/** The tagging step when some schema is unknown: keys as canonical strings, keys and values serialized with their types. */
function dynamicTagger(where: string, tag: string, i: number) {
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const rb = batch.data;
    const keyCol = rb.getChild("key");
    const valCol = rb.getChild("value");
    if (!keyCol || !valCol) {
      throw new SchemaError({
        code: "BL_NOT_KV",
        where,
        value: rb.schema.fields.map((f) => f.name),
        rule: `input "${tag}" of coGroupByKey must have rows with the fields key and value`,
        fix: "map its rows to { key, value } first",
      });
    }
    const n = rb.numRows;
    const readK = valueReader(keyCol);
    const readV = valueReader(valCol);
    const canon = new Array<string>(n);
    const ks = new Array<Uint8Array>(n);
    const vs = new Array<Uint8Array>(n);
    for (let r = 0; r < n; r++) {
      const k = readK(r);
      canon[r] = canonicalKey(k);
      ks[r] = v8.serialize(k);
      vs[r] = v8.serialize(readV(r));
    }
    const kt = typeToString(keyCol.type);
    const vt = typeToString(valCol.type);
    const children = [
      arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: new Int32Array(n).fill(i) }),
      singleData(vectorFromValues(ks, new arrow.Binary(), where)),
      singleData(vectorFromValues(vs, new arrow.Binary(), where)),
      singleData(vectorFromValues(new Array(n).fill(kt), new arrow.Utf8(), where)),
      singleData(vectorFromValues(new Array(n).fill(vt), new arrow.Utf8(), where)),
    ];
    const value = arrow.makeData({ type: DYN_UNION, length: n, nullCount: 0, children });
    emit("main", { ...batch, data: assemble(DYN_SCHEMA, [vectorFromValues(canon, new arrow.Utf8(), where), value]) });
  };
}

/** The split step when some schema is unknown: rebuilds keys and values in the types they had. */
function dynamicSplitter(where: string, tags: readonly string[]) {
  const seen: (arrow.DataType | null)[] = tags.map(() => null);
  let keyType: arrow.DataType | null = null;
  let keyTypeName = "";
  let keyTag = "";
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const g = batch.data.numRows;
    const read = valueReader(batch.data.getChild("values")!);
    const keys = new Array<unknown>(g);
    const lists: unknown[][][] = tags.map(() => new Array<unknown[]>(g));
    for (let r = 0; r < g; r++) {
      const items = read(r) as { t: number; k: Uint8Array; v: Uint8Array; kt: string; vt: string }[];
      for (const l of lists) l[r] = [];
      keys[r] = items.length ? v8.deserialize(items[0].k) : null;
      for (const it of items) {
        if (keyType === null) {
          keyType = typeFromString(it.kt);
          keyTypeName = it.kt;
          keyTag = tags[it.t];
        } else if (it.kt !== keyTypeName) {
          const other = typeFromString(it.kt);
          throw new SchemaError({
            code: "BL_JOIN_KEY_TYPES",
            where,
            value: { [keyTag]: describeType(keyType), [tags[it.t]]: describeType(other) },
            rule: `the keys of input "${keyTag}" are ${describeType(keyType)} but those of input "${tags[it.t]}" are ${describeType(other)}; keys of different types never match`,
            fix: "convert the keys to one type before grouping, or declare the inputs' schemas",
          });
        }
        seen[it.t] ??= typeFromString(it.vt);
        lists[it.t][r].push(v8.deserialize(it.v));
      }
    }
    const fields = [new arrow.Field("key", keyType ?? new arrow.Null(), true)];
    tags.forEach((tag, i) => fields.push(new arrow.Field(tag, new arrow.List(new arrow.Field("item", seen[i] ?? new arrow.Null(), true)), true)));
    const schema = new arrow.Schema(fields);
    const columns = [vectorFromValues(keys, fields[0].type, where), ...lists.map((l, i) => vectorFromValues(l, fields[i + 1].type, `${where}, input "${tags[i]}"`))];
    emit("main", { ...batch, data: assemble(schema, columns) });
  };
}

class CoGroupByKey extends PTransform<Record<string, PCollection<any>>, PCollection<any>> {
  /** `types`: what {@link checkCoGroupInputs} found (checked before applying, so a refused input leaves no trace in the graph). */
  constructor(private readonly types: { key: arrow.DataType; values: arrow.DataType[] } | null) {
    super("CoGroupByKey");
  }

  expand(input: Record<string, PCollection<any>>, ctx: ExpandContext): PCollection<any> {
    const where = `transform "${ctx.name}"`;
    const tags = Object.keys(input);
    const types = this.types;
    const label = (tag: string) => `Tag[${tag.replace(/\//g, "_")}]`;
    if (types) {
      const key = normType(types.key);
      const values = types.values.map(normType);
      const union = new arrow.Struct([new arrow.Field(TAG_FIELD, new arrow.Int32(), true), ...values.map((v, i) => new arrow.Field(`v${i}`, v, true))]);
      const unionSchema = kvSchema(key, union);
      const tagged = tags.map((tag, i) => input[tag].apply(label(tag), columnar<any, any>("Tag", typedTagger(i, union, unionSchema), unionSchema, { tag })));
      const outSchema = new arrow.Schema([
        new arrow.Field("key", key, true),
        ...tags.map((tag, i) => new arrow.Field(tag, new arrow.List(new arrow.Field("item", values[i], true)), true)),
      ]);
      return flatten(tagged, "Flatten")
        .apply("GroupByKey", groupByKey<any, any>())
        .apply("Split", columnar<any, any>("Split", typedSplitter(tags, outSchema), outSchema, { tags }));
    }
    const tagged = tags.map((tag, i) => input[tag].apply(label(tag), columnar<any, any>("Tag", dynamicTagger(where, tag, i), DYN_SCHEMA, { tag })));
    return flatten(tagged, "Flatten")
      .apply("GroupByKey", groupByKey<any, any>())
      .apply("Split", columnar<any, any>("Split", dynamicSplitter(where, tags), null, { tags }));
  }
}

/**
 * Groups several `{key, value}` PCollections by key: one row `{key, a: [...], b: [...]}` per key and
 * window, with each input's values for the key under its tag (empty lists for inputs without the key).
 * @example coGroupByKey({ orders, payments }) // → { key, orders: [...], payments: [...] }
 */
export function coGroupByKey<K, R extends Record<string, PCollection<KV<K, any>>>>(inputs: R, options: CoGroupByKeyOptions = {}): PCollection<CoGrouped<K, R>> {
  const types = checkCoGroupInputs(`transform "${options.name ?? "CoGroupByKey"}"`, inputs);
  const first = Object.values(inputs)[0];
  return first.pipeline.applyTransform(inputs as Record<string, PCollection<any>>, new CoGroupByKey(types), options.name);
}

// ---------------------------------------------------------------------------------------------
// Relational joins
// ---------------------------------------------------------------------------------------------

/** The kind of a relational join. */
export type JoinType = "inner" | "left" | "right" | "full";

/** Options of {@link join}. */
export interface JoinOptions {
  /** The key field (or fields) both sides share. Rows match when all key fields are equal and none is null. */
  readonly on: string | readonly string[];
  /** Default "inner". Unmatched rows of the kept side(s) get nulls for the other side's fields. */
  readonly type?: JoinType;
  /** Prepended to the left side's non-key field names in the output. */
  readonly leftPrefix?: string;
  /** Prepended to the right side's non-key field names in the output. */
  readonly rightPrefix?: string;
  /** The name to apply it under (default "Join"). */
  readonly name?: string;
}

const LEFT = "left";
const RIGHT = "right";

interface JoinPlan {
  readonly on: readonly string[];
  readonly type: JoinType;
  readonly leftPrefix: string;
  readonly rightPrefix: string;
}

function noSuchField(where: string, side: string, field: string, s: arrow.Schema): SchemaError {
  return new SchemaError({
    code: "BL_NO_SUCH_FIELD",
    where,
    value: field,
    rule: `the ${side} rows have no key field of this name (fields: ${s.fields.map((f) => f.name).join(", ")})`,
    fix: "join on fields both sides have, or rename one side's field with map first",
  });
}

/** The output fields of a join; throws on a name present twice. */
function outputFields(where: string, plan: JoinPlan, keys: readonly arrow.Field[], left: readonly arrow.Field[], right: readonly arrow.Field[]): arrow.Field[] {
  const out: arrow.Field[] = keys.map((f) => new arrow.Field(f.name, f.type, true));
  const origin = new Map<string, string>(keys.map((f) => [f.name, "the key"]));
  const add = (side: "left" | "right", f: arrow.Field) => {
    const prefix = side === "left" ? plan.leftPrefix : plan.rightPrefix;
    const name = prefix + f.name;
    const before = origin.get(name);
    if (before !== undefined) {
      const suggestion = side === "right" ? `{ rightPrefix: "r_" }` : `{ leftPrefix: "l_" }`;
      throw new SchemaError({
        code: "BL_JOIN_FIELD_CLASH",
        where,
        value: name,
        rule: `the joined rows would have two fields named "${name}" (from ${before} and from the ${side} side); output field names must be unique`,
        fix: `rename the field on one side with map before joining, or pass ${suggestion} (or leftPrefix) to the join`,
      });
    }
    origin.set(name, `the ${side} side`);
    out.push(new arrow.Field(name, f.type, true));
  };
  for (const f of left) add("left", f);
  for (const f of right) add("right", f);
  return out;
}

/** The keying step of a join: rows → `{key, value}` with the key field (or a struct of the key fields) and a struct of the other fields. */
function keyRows(where: string, side: string, on: readonly string[], declared: arrow.Schema | null) {
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const rb = batch.data;
    for (const f of on) if (!rb.getChild(f)) throw noSuchField(where, side, f, rb.schema);
    const n = rb.numRows;
    const fieldOf = (name: string) => rb.schema.fields.find((f) => f.name === name)!;
    const others = rb.schema.fields.filter((f) => !on.includes(f.name));
    let schema = declared;
    if (!schema) {
      const key = on.length === 1 ? normType(fieldOf(on[0]).type) : new arrow.Struct(on.map((f) => new arrow.Field(f, normType(fieldOf(f).type), true)));
      schema = kvSchema(key, new arrow.Struct(others.map((f) => new arrow.Field(f.name, normType(f.type), true))));
    }
    const keyType = schema.fields[0].type;
    const key =
      on.length === 1
        ? singleData(rb.getChild(on[0])!)
        : arrow.makeData({ type: keyType as arrow.Struct, length: n, nullCount: 0, children: on.map((f) => singleData(rb.getChild(f)!)) });
    const vtype = schema.fields[1].type as arrow.Struct;
    const value = arrow.makeData({ type: vtype, length: n, nullCount: 0, children: others.map((f) => singleData(rb.getChild(f.name)!)) });
    emit("main", { ...batch, data: assemble(schema, [key, value]) });
  };
}

/** Gathers values; index -1 gives null. */
function takeOrNull(data: arrow.Data, indices: Int32Array): arrow.Data {
  let missing = 0;
  for (let j = 0; j < indices.length; j++) if (indices[j] < 0) missing++;
  if (missing === 0) return takeData(data, indices);
  if (missing === indices.length || data.length === 0) return nullData(data.type, indices.length);
  const safe = indices.map((x) => (x < 0 ? 0 : x));
  const t = takeData(data, safe);
  if (data.type.typeId === arrow.Type.Null) return t;
  const k = indices.length;
  const bits = new Uint8Array((k + 7) >> 3);
  const old = t.nullCount > 0 ? (t.nullBitmap as Uint8Array) : null;
  let nulls = 0;
  for (let j = 0; j < k; j++) {
    const valid = indices[j] >= 0 && (!old || ((old[j >> 3] >> (j & 7)) & 1) === 1);
    if (valid) bits[j >> 3] |= 1 << (j & 7);
    else nulls++;
  }
  return new arrow.Data(t.type, 0, k, nulls, [t.valueOffsets, t.values, bits, t.typeIds] as never, t.children);
}

/** The join step: co-grouped `{key, left: [...], right: [...]}` → joined flat rows. */
function joiner(where: string, plan: JoinPlan, declared: arrow.Schema | null) {
  const keepLeft = plan.type === "left" || plan.type === "full";
  const keepRight = plan.type === "right" || plan.type === "full";
  let schema = declared;
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const g = batch.data.numRows;
    const keyData = singleData(batch.data.getChild("key")!);
    const ll = listData(batch.data.getChild(LEFT)!);
    const rl = listData(batch.data.getChild(RIGHT)!);
    const lo = ll.valueOffsets as Int32Array;
    const ro = rl.valueOffsets as Int32Array;
    const lItems = ll.children[0];
    const rItems = rl.children[0];
    // A key with a null (in any key field) never matches.
    const keyNull = new Uint8Array(g);
    const keyReaders = plan.on.length === 1 ? [dataReader(keyData)] : [dataReader(keyData), ...keyData.children.map(dataReader)];
    for (let r = 0; r < g; r++) for (const read of keyReaders) if (read(r) === null) keyNull[r] = 1;
    const outG: number[] = [];
    const outL: number[] = [];
    const outR: number[] = [];
    const push = (r: number, l: number, x: number) => {
      outG.push(r);
      outL.push(l);
      outR.push(x);
    };
    for (let r = 0; r < g; r++) {
      const nl = lo[r + 1] - lo[r];
      const nr = ro[r + 1] - ro[r];
      if (!keyNull[r] && nl > 0 && nr > 0) {
        for (let l = lo[r]; l < lo[r + 1]; l++) for (let x = ro[r]; x < ro[r + 1]; x++) push(r, l, x);
        continue;
      }
      if (keepLeft) for (let l = lo[r]; l < lo[r + 1]; l++) push(r, l, -1);
      if (keepRight) for (let x = ro[r]; x < ro[r + 1]; x++) push(r, -1, x);
    }
    if (outG.length === 0) return;
    if (!schema) {
      const keyFields = plan.on.length === 1 ? [new arrow.Field(plan.on[0], keyData.type, true)] : (keyData.type as arrow.Struct).children;
      const sideFields = (items: arrow.Data, side: string): arrow.Field[] => {
        if (items.type.typeId === arrow.Type.Struct) return (items.type as arrow.Struct).children;
        throw new SchemaError({
          code: "BL_JOIN_UNKNOWN_FIELDS",
          where,
          value: side,
          rule: `the fields of the ${side} input are unknown: its schema is inferred at run time and none of its rows reached this part of the join`,
          fix: `declare the ${side} input's schema (e.g. .map(fn, { schema: schema({ ... }) }))`,
        });
      };
      schema = new arrow.Schema(outputFields(where, plan, keyFields, sideFields(lItems, "left"), sideFields(rItems, "right")));
    }
    const gi = Int32Array.from(outG);
    const li = Int32Array.from(outL);
    const ri = Int32Array.from(outR);
    const columns: arrow.Data[] = [];
    if (plan.on.length === 1) columns.push(takeData(keyData, gi));
    else for (const child of keyData.children) columns.push(takeData(child, gi));
    for (const child of lItems.children) columns.push(takeOrNull(child, li));
    for (const child of rItems.children) columns.push(takeOrNull(child, ri));
    emit("main", { data: assemble(schema, columns), ...takeMetadata(batch, gi) });
  };
}

/** What a join knows at construction: the keyed schemas of both sides and the output schema (null where inferred at run time). */
interface JoinSchemas {
  readonly left: arrow.Schema | null;
  readonly right: arrow.Schema | null;
  readonly output: arrow.Schema | null;
}

class Join extends PTransform<Record<string, PCollection<any>>, PCollection<any>> {
  constructor(
    private readonly plan: JoinPlan,
    private readonly schemas: JoinSchemas,
  ) {
    super("Join");
  }

  expand(input: Record<string, PCollection<any>>, ctx: ExpandContext): PCollection<any> {
    const where = `transform "${ctx.name}"`;
    const { plan, schemas } = this;
    const payload = { on: [...plan.on] };
    const keyed = {
      [LEFT]: input[LEFT].apply("KeyLeft", columnar<any, any>("KeyBy", keyRows(where, "left", plan.on, schemas.left), schemas.left, payload)),
      [RIGHT]: input[RIGHT].apply("KeyRight", columnar<any, any>("KeyBy", keyRows(where, "right", plan.on, schemas.right), schemas.right, payload)),
    };
    const grouped = ctx.pipeline.applyTransform(keyed, new CoGroupByKey(checkCoGroupInputs(where, keyed)));
    return grouped.apply(
      "Expand",
      columnar<any, any>("Expand", joiner(where, plan, schemas.output), schemas.output, { ...payload, type: plan.type, leftPrefix: plan.leftPrefix, rightPrefix: plan.rightPrefix }),
    );
  }
}

/** Checks a join against the schemas known at construction; returns what is known. */
function planSchemas(where: string, plan: JoinPlan, ls: arrow.Schema | null, rs: arrow.Schema | null): JoinSchemas {
  if (ls) for (const f of plan.on) if (!ls.fields.some((x) => x.name === f)) throw noSuchField(where, "left", f, ls);
  if (rs) for (const f of plan.on) if (!rs.fields.some((x) => x.name === f)) throw noSuchField(where, "right", f, rs);
  const others = (s: arrow.Schema | null) => (s ? s.fields.filter((f) => !plan.on.includes(f.name)).map((f) => new arrow.Field(f.name, normType(f.type), true)) : []);
  const keysOf = (s: arrow.Schema) => plan.on.map((name) => new arrow.Field(name, normType(s.fields.find((f) => f.name === name)!.type), true));
  const keyed = (s: arrow.Schema | null, keys: arrow.Field[] | null) =>
    s && keys ? kvSchema(plan.on.length === 1 ? keys[0].type : new arrow.Struct(keys), new arrow.Struct(others(s))) : null;
  if (ls && rs) {
    const lk = keysOf(ls);
    const rk = keysOf(rs);
    lk.forEach((l, i) => {
      const r = rk[i];
      if (!typesEqual(l.type, r.type)) {
        throw new SchemaError({
          code: "BL_JOIN_KEY_TYPES",
          where,
          value: { left: describeType(l.type), right: describeType(r.type) },
          rule: `key field "${l.name}" is ${describeType(l.type)} on the left but ${describeType(r.type)} on the right; keys of different types never match`,
          fix: `convert "${l.name}" to one type on both sides before joining (for example with map)`,
        });
      }
    });
    const output = new arrow.Schema(outputFields(where, plan, lk, others(ls), others(rs)));
    // Both sides carry the left's key types, so the keyed sides flatten together.
    return { left: keyed(ls, lk), right: keyed(rs, lk), output };
  }
  // One side known: check what can be checked (its prefixed names against the key fields).
  const known = ls ?? rs;
  if (known) outputFields(where, plan, keysOf(known), others(ls), others(rs));
  return { left: null, right: null, output: null };
}

/**
 * Joins two PCollections of rows on named key fields. Output rows hold the key fields, then the left
 * side's other fields, then the right side's (each optionally prefixed); a non-key name on both sides
 * is refused at construction. Null keys never match, but their rows still appear in outer joins.
 * @example join(orders, customers, { on: "customerId", type: "left", rightPrefix: "c_" })
 */
export function join<L = Record<string, unknown>, R = Record<string, unknown>>(
  left: PCollection<L>,
  right: PCollection<R>,
  options: JoinOptions,
): PCollection<Record<string, unknown>> {
  const on = typeof options.on === "string" ? [options.on] : [...(options.on ?? [])];
  const type = options.type ?? "inner";
  if (on.length === 0 || on.some((f) => typeof f !== "string" || f === "") || new Set(on).size !== on.length) {
    throw new PipelineConstructionError({
      code: "BL_BAD_JOIN_KEY",
      value: options.on,
      rule: "a join needs one or more distinct, non-empty key field names",
      fix: 'pass { on: "id" } or { on: ["a", "b"] }',
    });
  }
  if (!["inner", "left", "right", "full"].includes(type)) {
    throw new PipelineConstructionError({
      code: "BL_BAD_JOIN_TYPE",
      value: type,
      rule: 'the join type must be "inner", "left", "right" or "full"',
      fix: 'pass { type: "left" }, or use innerJoin / leftJoin / fullOuterJoin',
    });
  }
  const plan: JoinPlan = { on, type, leftPrefix: options.leftPrefix ?? "", rightPrefix: options.rightPrefix ?? "" };
  const schemas = planSchemas(`transform "${options.name ?? "Join"}"`, plan, left.schema, right.schema);
  return left.pipeline.applyTransform({ [LEFT]: left, [RIGHT]: right } as Record<string, PCollection<any>>, new Join(plan, schemas), options.name);
}

/** An inner join: only rows whose key matches on both sides. */
export function innerJoin<L, R>(left: PCollection<L>, right: PCollection<R>, options: Omit<JoinOptions, "type">): PCollection<Record<string, unknown>> {
  return join(left, right, { ...options, type: "inner" });
}

/** A left outer join: every left row, with nulls for the right side's fields where nothing matches. */
export function leftJoin<L, R>(left: PCollection<L>, right: PCollection<R>, options: Omit<JoinOptions, "type">): PCollection<Record<string, unknown>> {
  return join(left, right, { ...options, type: "left" });
}

/** A full outer join: every row of both sides, with nulls for the other side's fields where nothing matches. */
export function fullOuterJoin<L, R>(left: PCollection<L>, right: PCollection<R>, options: Omit<JoinOptions, "type">): PCollection<Record<string, unknown>> {
  return join(left, right, { ...options, type: "full" });
}
