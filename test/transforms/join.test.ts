import {
  coGroupByKey, collect, create, fromArrow, fullOuterJoin, innerJoin, join, leftJoin, Pipeline, PipelineConstructionError,
  schema, SchemaError, t, count, withTimestamps, windowInto, fixedWindows, sum, groupBy, type JoinType, type KV, type PCollection,
} from "beamline";
import * as arrow from "apache-arrow";
import { rng, run, sorted } from "../helpers";

type Row = Record<string, unknown>;

/** Reference coGroupByKey: key → per tag values. */
function refCoGroup(inputs: Record<string, { key: unknown; value: unknown }[]>): Row[] {
  const groups = new Map<string, Row>();
  const tags = Object.keys(inputs);
  for (const tag of tags) {
    for (const { key, value } of inputs[tag]) {
      const k = JSON.stringify(key);
      if (!groups.has(k)) groups.set(k, { key, ...Object.fromEntries(tags.map((t) => [t, []])) });
      (groups.get(k)![tag] as unknown[]).push(value);
    }
  }
  return [...groups.values()];
}

/** Normalises co-grouped rows for comparison: sorts each value list. */
function norm(rows: Row[], tags: string[]): Row[] {
  return sorted(rows.map((r) => ({ ...r, ...Object.fromEntries(tags.map((t) => [t, sorted(r[t] as unknown[])])) })));
}

/** Reference relational join with SQL null semantics. */
function refJoin(left: Row[], right: Row[], on: string[], type: JoinType, lp = "", rp = ""): Row[] {
  const hasNull = (r: Row) => on.some((f) => r[f] === null || r[f] === undefined);
  const keyOf = (r: Row) => JSON.stringify(on.map((f) => r[f]));
  const lOther = left.length ? Object.keys(left[0]).filter((k) => !on.includes(k)) : [];
  const rOther = right.length ? Object.keys(right[0]).filter((k) => !on.includes(k)) : [];
  const out: Row[] = [];
  const make = (k: Row, l: Row | null, r: Row | null) => {
    const row: Row = {};
    for (const f of on) row[f] = k[f];
    for (const f of lOther) row[lp + f] = l ? l[f] : null;
    for (const f of rOther) row[rp + f] = r ? r[f] : null;
    return row;
  };
  const matchedR = new Set<Row>();
  for (const l of left) {
    const ms = hasNull(l) ? [] : right.filter((r) => !hasNull(r) && keyOf(r) === keyOf(l));
    for (const r of ms) {
      out.push(make(l, l, r));
      matchedR.add(r);
    }
    if (ms.length === 0 && (type === "left" || type === "full")) out.push(make(l, l, null));
  }
  if (type === "right" || type === "full") for (const r of right) if (!matchedR.has(r)) out.push(make(r, null, r));
  return out;
}

const KEYS = ["a", "b", "é", "日本", "🙂", "", "zz"];

function randomKv(r: () => number, n: number, value: (i: number) => unknown) {
  return Array.from({ length: n }, (_, i) => ({ key: KEYS[Math.floor(r() * KEYS.length)], value: value(i) }));
}

describe("coGroupByKey", () => {
  test("matches a plain JS reference on random data with unicode keys (declared schemas)", async () => {
    const r = rng(1);
    const a = randomKv(r, 500, () => Math.floor(r() * 100));
    const b = randomKv(r, 300, (i) => `v${i}`);
    const c = randomKv(r, 50, () => r() < 0.5);
    const p = new Pipeline();
    const out = collect(coGroupByKey({
      a: p.apply("A", create(a)),
      b: p.apply("B", create(b)),
      c: p.apply("C", create(c)),
    }));
    await run(p);
    expect(norm(out.rows as Row[], ["a", "b", "c"])).toEqual(norm(refCoGroup({ a, b, c }), ["a", "b", "c"]));
  });

  test("declares its output schema when the inputs' schemas are known", () => {
    const p = new Pipeline();
    const g = coGroupByKey({
      nums: p.apply("A", create([{ key: "k", value: 1 }])),
      names: p.apply("B", create([{ key: "k", value: "x" }])),
    });
    expect(g.schema!.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["key:Utf8", "nums:List<Float64>", "names:List<Utf8>"]);
  });

  test("inputs with schemas inferred at run time give the same result, types kept", async () => {
    const r = rng(2);
    const a = randomKv(r, 400, (i) => ({ n: i, tags: [`t${i % 3}`] }));
    const b = randomKv(r, 200, () => Math.floor(r() * 10));
    const p = new Pipeline();
    const pa = p.apply("A", create(a)).map((x) => ({ key: x.key, value: x.value }), { name: "MapA" });
    const pb = p.apply("B", create(b)).map((x) => ({ key: x.key, value: x.value }), { name: "MapB" });
    const out = collect(coGroupByKey({ a: pa, b: pb }));
    await run(p);
    expect(norm(out.rows as Row[], ["a", "b"])).toEqual(norm(refCoGroup({ a, b }), ["a", "b"]));
  });

  test("an empty input gives empty lists; all inputs empty give no rows", async () => {
    const p = new Pipeline();
    const kv = schema({ key: t.string(), value: t.float64() });
    const a = p.apply("A", create([{ key: "x", value: 1 }, { key: "y", value: 2 }]));
    const none = p.apply("None", create([], { schema: kv }));
    const none2 = p.apply("None2", create([], { schema: kv }));
    const out = collect(coGroupByKey({ a, none }), "Out");
    const empty = collect(coGroupByKey({ none, none2 }, { name: "Empty" }), "OutEmpty");
    await run(p);
    expect(sorted(out.rows)).toEqual([{ key: "x", a: [1], none: [] }, { key: "y", a: [2], none: [] }]);
    expect(empty.rows).toEqual([]);
  });

  test("groups per key and window", async () => {
    const p = new Pipeline();
    const win = <T>(name: string, rows: T[]) => p.apply(name, create(rows)).apply(`${name}Ts`, withTimestamps("t")).apply(`${name}Win`, windowInto(fixedWindows(10_000)));
    const a = win("A", [{ t: 1_000, key: "k", value: 1 }, { t: 12_000, key: "k", value: 2 }]).map((r) => ({ key: r.key, value: r.value }), { name: "KvA", schema: schema({ key: t.string(), value: t.float64() }) });
    const b = win("B", [{ t: 3_000, key: "k", value: "x" }, { t: 25_000, key: "k", value: "y" }]).map((r) => ({ key: r.key, value: r.value }), { name: "KvB", schema: schema({ key: t.string(), value: t.string() }) });
    const out = collect(coGroupByKey({ a, b }));
    await run(p);
    expect(sorted(out.elements.map((e) => ({ start: e.window.start, ...(e.value as object) })))).toEqual(sorted([
      { start: 0, key: "k", a: [1], b: ["x"] },
      { start: 10_000, key: "k", a: [2], b: [] },
      { start: 20_000, key: "k", a: [], b: ["y"] },
    ]));
  });

  test("null keys group together", async () => {
    const p = new Pipeline();
    const kv = schema({ key: t.string(), value: t.float64() });
    const a = p.apply("A", create<{ key: string | null; value: number }>([{ key: null, value: 1 }, { key: "x", value: 2 }], { schema: kv as never }));
    const b = p.apply("B", create<{ key: string | null; value: number }>([{ key: null, value: 3 }], { schema: kv as never }));
    const out = collect(coGroupByKey({ a, b }));
    await run(p);
    expect(sorted(out.rows)).toEqual(sorted([{ key: null, a: [1], b: [3] }, { key: "x", a: [2], b: [] }]));
  });

  test("key types that differ between inputs are refused at construction", () => {
    const p = new Pipeline();
    const a = p.apply("A", create([{ key: "1", value: 1 }]));
    const b = p.apply("B", create([{ key: 1, value: 1 }]));
    const err = (() => { try { coGroupByKey({ a, b }); } catch (e) { return e as SchemaError; } })()!;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.code).toBe("BL_JOIN_KEY_TYPES");
    expect(err.message).toMatch(/input "a" are string but those of input "b" are float64/);
    expect(err.fix).toBeTruthy();
  });

  test("key types that differ between inputs fail the run when schemas are inferred", async () => {
    const p = new Pipeline();
    const a = p.apply("A", create([{ key: "1", value: 1 }])).map((x) => x, { name: "MA" });
    const b = p.apply("B", create([{ key: 1, value: 1 }])).map((x) => x, { name: "MB" });
    coGroupByKey({ a, b });
    await expect(run(p)).rejects.toThrow(SchemaError);
  });

  test("inputs that are not {key, value}, a tag named key, and no inputs are refused", () => {
    const p = new Pipeline();
    const a = p.apply("A", create([{ k: 1, v: 1 }])) as unknown as PCollection<KV<number, number>>;
    const kv = p.apply("KV", create([{ key: 1, value: 1 }]));
    expect(() => coGroupByKey({ a })).toThrow(SchemaError);
    expect(() => coGroupByKey({ a })).toThrow(/input "a".*key and value/);
    expect(() => coGroupByKey({ key: kv })).toThrow(PipelineConstructionError);
    expect(() => coGroupByKey({})).toThrow(PipelineConstructionError);
  });
});

describe("join", () => {
  function randomSides(seed: number, nl: number, nr: number, keys: number) {
    const r = rng(seed);
    const key = () => (r() < 0.05 ? null : Math.floor(r() * keys));
    const left = Array.from({ length: nl }, (_, i) => ({ id: key(), name: `L${i}`, score: Math.floor(r() * 1000) }));
    const right = Array.from({ length: nr }, (_, i) => ({ id: key(), city: KEYS[i % KEYS.length], flag: r() < 0.5 }));
    return { left, right };
  }
  const leftSchema = schema({ id: t.float64(), name: t.string(), score: t.float64() });
  const rightSchema = schema({ id: t.float64(), city: t.string(), flag: t.bool() });

  test.each(["inner", "left", "right", "full"] as const)("%s join matches a reference on random data with null keys", async (type) => {
    const { left, right } = randomSides(10, 400, 300, 120);
    const p = new Pipeline();
    const out = collect(join(p.apply("L", create(left, { schema: leftSchema })), p.apply("R", create(right, { schema: rightSchema })), { on: "id", type }));
    await run(p);
    const expected = refJoin(left, right, ["id"], type);
    expect(out.rows.length).toBe(expected.length);
    expect(sorted(out.rows)).toEqual(sorted(expected));
  });

  test("helpers, output field order and the declared schema", async () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ name: "ann", id: 1, age: 30 }, { name: "bob", id: 2, age: 40 }]));
    const r = p.apply("R", create([{ city: "Oslo", id: 1 }, { city: "Rome", id: 3 }]));
    const inner = innerJoin(l, r, { on: "id" });
    expect(inner.schema!.fields.map((f) => f.name)).toEqual(["id", "name", "age", "city"]);
    const a = collect(inner, "A");
    const b = collect(leftJoin(l, r, { on: "id" }), "B");
    const c = collect(fullOuterJoin(l, r, { on: "id" }), "C");
    await run(p);
    expect(a.rows).toEqual([{ id: 1, name: "ann", age: 30, city: "Oslo" }]);
    expect(Object.keys(a.rows[0])).toEqual(["id", "name", "age", "city"]);
    expect(sorted(b.rows)).toEqual(sorted([{ id: 1, name: "ann", age: 30, city: "Oslo" }, { id: 2, name: "bob", age: 40, city: null }]));
    expect(sorted(c.rows)).toEqual(sorted([
      { id: 1, name: "ann", age: 30, city: "Oslo" },
      { id: 2, name: "bob", age: 40, city: null },
      { id: 3, name: null, age: null, city: "Rome" },
    ]));
  });

  test("composite keys with unicode values and nulls in one key field", async () => {
    const r = rng(3);
    const pick = () => (r() < 0.05 ? null : KEYS[Math.floor(r() * KEYS.length)]);
    const left = Array.from({ length: 300 }, (_, i) => ({ a: pick(), b: Math.floor(r() * 3), lv: i }));
    const right = Array.from({ length: 300 }, (_, i) => ({ a: pick(), b: Math.floor(r() * 3), rv: `r${i}` }));
    const s = (extra: string) => schema({ a: t.string(), b: t.float64(), [extra]: extra === "lv" ? t.float64() : t.string() } as never);
    for (const type of ["inner", "full"] as const) {
      const p = new Pipeline();
      const out = collect(join(p.apply("L", create(left, { schema: s("lv") })), p.apply("R", create(right, { schema: s("rv") })), { on: ["a", "b"], type }));
      await run(p);
      expect(sorted(out.rows)).toEqual(sorted(refJoin(left, right, ["a", "b"], type)));
    }
  });

  test("schemas inferred at run time give the same rows", async () => {
    const { left, right } = randomSides(11, 300, 200, 80);
    for (const type of ["inner", "left", "full"] as const) {
      const p = new Pipeline();
      const l = p.apply("L", create(left, { schema: leftSchema })).map((x) => x, { name: "ML" });
      const r = p.apply("R", create(right, { schema: rightSchema })).map((x) => x, { name: "MR" });
      const out = collect(join(l, r, { on: "id", type }));
      await run(p);
      expect(sorted(out.rows)).toEqual(sorted(refJoin(left, right, ["id"], type)));
    }
  });

  test("a non-key field on both sides is refused, naming it and the fix; prefixes resolve it", async () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ id: 1, name: "l1" }, { id: 2, name: "l2" }]));
    const r = p.apply("R", create([{ id: 1, name: "r1" }]));
    let err: SchemaError | undefined;
    try { join(l, r, { on: "id" }); } catch (e) { err = e as SchemaError; }
    expect(err).toBeInstanceOf(SchemaError);
    expect(err!.code).toBe("BL_JOIN_FIELD_CLASH");
    expect(err!.value).toBe("name");
    expect(err!.message).toContain('"name"');
    expect(err!.message).toMatch(/rename.*rightPrefix/);
    const a = collect(join(l, r, { on: "id", rightPrefix: "r_", type: "left", name: "J1" }), "A");
    const b = collect(join(l, r, { on: "id", leftPrefix: "l_", name: "J2" }), "B");
    expect(() => join(l, r, { on: "id", leftPrefix: "x", rightPrefix: "x", name: "J3" })).toThrow(/"xname"/);
    await run(p);
    expect(sorted(a.rows)).toEqual([{ id: 1, name: "l1", r_name: "r1" }, { id: 2, name: "l2", r_name: null }]);
    expect(b.rows).toEqual([{ id: 1, l_name: "l1", name: "r1" }]);
  });

  test("a prefixed name that clashes with a key field is refused", () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ id: 1, x: 1 }]));
    const r = p.apply("R", create([{ id: 1, d: 1 }]));
    expect(() => join(l, r, { on: "id", rightPrefix: "i" })).toThrow(/two fields named "id"/);
  });

  test("key type mismatch and missing key fields are refused at construction", () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ id: 1, x: 1 }]));
    const r = p.apply("R", create([{ id: "1", y: 1 }]));
    let err: SchemaError | undefined;
    try { join(l, r, { on: "id" }); } catch (e) { err = e as SchemaError; }
    expect(err).toBeInstanceOf(SchemaError);
    expect(err!.code).toBe("BL_JOIN_KEY_TYPES");
    expect(err!.message).toMatch(/"id" is float64 on the left but string on the right/);
    expect(() => join(l, l, { on: "nope", name: "J2" })).toThrow(SchemaError);
    expect(() => join(l, l, { on: "nope", name: "J3" })).toThrow(/left rows have no key field.*fields: id, x/);
    expect(() => join(l, r, { on: [] })).toThrow(PipelineConstructionError);
    expect(() => join(l, r, { on: "id", type: "cross" as never })).toThrow(PipelineConstructionError);
  });

  test("empty sides: inner gives nothing, left keeps the left rows with nulls", async () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ id: 1, x: "a" }, { id: 2, x: "b" }]));
    const r = p.apply("R", create([], { schema: schema({ id: t.float64(), y: t.string() }) }));
    const a = collect(innerJoin(l, r, { on: "id" }), "A");
    const b = collect(leftJoin(l, r, { on: "id" }), "B");
    const c = collect(fullOuterJoin(r, l, { on: "id" }), "C");
    await run(p);
    expect(a.rows).toEqual([]);
    expect(sorted(b.rows)).toEqual([{ id: 1, x: "a", y: null }, { id: 2, x: "b", y: null }]);
    expect(sorted(c.rows)).toEqual([{ id: 1, y: null, x: "a" }, { id: 2, y: null, x: "b" }]);
  });

  test("sides with only key fields", async () => {
    const p = new Pipeline();
    const l = p.apply("L", create([{ id: 1 }, { id: 2 }]));
    const r = p.apply("R", create([{ id: 2, v: true }]));
    const out = collect(leftJoin(l, r, { on: "id" }));
    await run(p);
    expect(sorted(out.rows)).toEqual([{ id: 1, v: null }, { id: 2, v: true }]);
  });

  test("large inputs: 200k left rows against 20k right rows", async () => {
    const nl = 200_000;
    const nr = 20_000;
    const p = new Pipeline();
    const left = fromArrow(arrow.tableFromArrays({ id: Int32Array.from({ length: nl }, (_, i) => (i * 7919) % 30_000), lv: Float64Array.from({ length: nl }, (_, i) => i) }));
    const right = fromArrow(arrow.tableFromArrays({ id: Int32Array.from({ length: nr }, (_, i) => i), rv: Float64Array.from({ length: nr }, (_, i) => i * 2) }));
    // Summarised in the pipeline: collecting 200k rows is not what this test is about.
    const joined = join(p.apply("L", left), p.apply("R", right), { on: "id", type: "full" }) as PCollection<{ id: number; lv: number | null; rv: number | null }>;
    const out = collect(
      joined
        .map((r) => ({
          kind: r.lv === null ? "right only" : r.rv === null ? "left only" : "matched",
          ok: (r.rv === null || r.rv === r.id * 2) && (r.lv === null || (r.lv * 7919) % 30_000 === r.id) ? 1 : 0,
        }))
        .apply(groupBy("kind").aggregate({ n: count(), ok: sum("ok") })),
    );
    await run(p);
    const hit = new Uint8Array(nr);
    let matched = 0;
    for (let i = 0; i < nl; i++) {
      const id = (i * 7919) % 30_000;
      if (id < nr) { matched++; hit[id] = 1; }
    }
    const rightOnly = nr - hit.reduce((a, b) => a + b, 0);
    expect(sorted(out.rows)).toEqual(sorted([
      { kind: "matched", n: matched, ok: matched },
      { kind: "left only", n: nl - matched, ok: nl - matched },
      ...(rightOnly ? [{ kind: "right only", n: rightOnly, ok: rightOnly }] : []),
    ]));
  });
});
