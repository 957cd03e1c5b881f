import { col, collect, create, createColumns, Expr, fixedWindows, lit, Pipeline, PipelineConstructionError, schema, SchemaError, select, t, UserCodeError, when, where, windowInto, withColumn, withTimestamps, type PCollection, type PTransform } from "beamline";
import { PARDO_URN } from "../../sdk/pardo";
import { describeType } from "../../sdk/schema";
import { exprFromJson } from "../../transforms/expressions/from-json";
import * as arrow from "apache-arrow";
import { run } from "../helpers";

type Row = Record<string, unknown>;

/** Applies `tr` to `rows` (with a declared schema when given) and returns the output rows in input order (by `id`) and the output schema. */
async function apply(
  rows: Row[],
  tr: PTransform<PCollection<any>, PCollection<any>>,
  declared?: ReturnType<typeof schema>,
): Promise<{ rows: Row[]; types: Record<string, string> }> {
  const p = new Pipeline();
  const out = p.apply(create(rows, declared ? { schema: declared } : undefined)).apply(tr);
  const got = collect(out);
  await run(p);
  const types = Object.fromEntries((out.schema?.fields ?? []).map((f) => [f.name, describeType(f.type)]));
  const sortedRows = [...got.rows].sort((a, b) => Number(a.id ?? 0) - Number(b.id ?? 0));
  return { rows: sortedRows as Row[], types };
}

/** Evaluates named expressions over rows and returns one column per name, in row order. */
async function evalCols(rows: Row[], declared: ReturnType<typeof schema>, exprs: Record<string, Expr>): Promise<{ cols: Record<string, unknown[]>; types: Record<string, string> }> {
  const { rows: out, types } = await apply(rows, select("id", ...Object.entries(exprs).map(([k, e]) => e.as(k))), declared);
  const cols: Record<string, unknown[]> = {};
  for (const k of Object.keys(exprs)) cols[k] = out.map((r) => r[k]);
  return { cols, types };
}

const nums = schema({ id: t.int32(), a: t.int32(), b: t.int32(), x: t.float64(), big: t.int64() });
const numRows: Row[] = [
  { id: 0, a: 7, b: 2, x: 1.5, big: 10 },
  { id: 1, a: -7, b: 3, x: -2.25, big: 2 ** 40 },
  { id: 2, a: 5, b: 0, x: 0, big: -3 },
  { id: 3, a: null, b: 4, x: null, big: null },
  { id: 4, a: 2147483647, b: 2147483647, x: 1e300, big: 0 },
];

describe("expressions: arithmetic", () => {
  test("int op int gives int64 for add/sub/mul/mod/neg; div gives float64; division by zero gives null; nulls propagate", async () => {
    const { cols, types } = await evalCols(numRows, nums, {
      add: col("a").add(col("b")),
      sub: col("a").sub(col("b")),
      mul: col("a").mul(col("b")),
      div: col("a").div(col("b")),
      mod: col("a").mod(col("b")),
      neg: col("a").neg(),
      big: col("big").mul(2).add(1),
    });
    expect(types).toEqual({ id: "int32", add: "int64", sub: "int64", mul: "int64", div: "float64", mod: "int64", neg: "int64", big: "int64" });
    expect(cols.add).toEqual([9, -4, 5, null, 4294967294]);
    expect(cols.sub).toEqual([5, -10, 5, null, 0]);
    // Integer arithmetic runs on doubles: exact within ±2^53, rounded beyond (int64 reads back as a bigint there).
    expect(cols.mul).toEqual([14, -21, 0, null, BigInt(2147483647 * 2147483647)]);
    expect(cols.div).toEqual([3.5, -7 / 3, null, null, 1]);
    expect(cols.mod).toEqual([1, -1, null, null, 0]);
    expect(cols.neg).toEqual([-7, 7, -5, null, -2147483647]);
    expect(cols.big).toEqual([21, 2 ** 41 + 1, -5, null, 1]);
  });

  test("int and float mixes give float64; literals are ints or floats by value", async () => {
    const { cols, types } = await evalCols(numRows, nums, {
      ax: col("a").add(col("x")),
      xm: col("x").mul(2),
      half: col("a").mul(0.5),
      intLit: col("a").add(1),
      xdiv0: col("x").div(0),
      xmod: col("x").mod(1),
      negx: col("x").neg(),
    });
    expect(types).toMatchObject({ ax: "float64", xm: "float64", half: "float64", intLit: "int64", xdiv0: "float64", xmod: "float64", negx: "float64" });
    expect(cols.ax).toEqual([8.5, -9.25, 5, null, 2147483647 + 1e300]);
    expect(cols.xm).toEqual([3, -4.5, 0, null, 2e300]);
    expect(cols.half).toEqual([3.5, -3.5, 2.5, null, 2147483647 / 2]);
    expect(cols.intLit).toEqual([8, -6, 6, null, 2147483648]);
    expect(cols.xdiv0).toEqual([null, null, null, null, null]);
    expect(cols.xmod).toEqual([0.5, -0.25, 0, null, 0]);
    expect(cols.negx).toEqual([-1.5, 2.25, 0, null, -1e300]);
  });

  test("an int64 result beyond the int64 range fails the run with a fix", async () => {
    const p = new Pipeline();
    collect(p.apply(create([{ id: 1, v: 2 ** 62 }], { schema: schema({ id: t.int32(), v: t.int64() }) })).apply(withColumn("w", col("v").mul(4))));
    const err = await run(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.code).toBe("BL_EXPR_OVERFLOW");
    expect(err.message).toContain('cast an operand to "float64"');
  });
});

describe("expressions: comparisons and logic", () => {
  test("comparisons over ints, floats, strings and bools, with nulls", async () => {
    const s = schema({ id: t.int32(), n: t.int32(), f: t.float64(), s: t.string(), b: t.bool() });
    const rows = [
      { id: 0, n: 1, f: 1.0, s: "apple", b: true },
      { id: 1, n: 2, f: 1.5, s: "banana", b: false },
      { id: 2, n: null, f: 3, s: null, b: null },
      { id: 3, n: 3, f: 2.5, s: "äpfel", b: true },
    ];
    const { cols, types } = await evalCols(rows, s, {
      eq: col("n").eq(col("f")),
      ne: col("n").ne(col("f")),
      lt: col("n").lt(col("f")),
      le: col("n").le(2),
      gt: col("f").gt(1.5),
      ge: col("f").ge(col("n")),
      seq: col("s").eq("banana"),
      sne: col("s").ne("banana"),
      slt: col("s").lt("b"),
      sge: col("s").ge("apple"),
      beq: col("b").eq(true),
      bgt: col("b").gt(false),
      nul: col("n").eq(lit(null)),
    });
    expect(Object.values(types).slice(1).every((x) => x === "bool")).toBe(true);
    expect(cols.eq).toEqual([true, false, null, false]);
    expect(cols.ne).toEqual([false, true, null, true]);
    expect(cols.lt).toEqual([false, false, null, false]);
    expect(cols.le).toEqual([true, true, null, false]);
    expect(cols.gt).toEqual([false, false, true, true]);
    expect(cols.ge).toEqual([true, false, null, false]);
    expect(cols.seq).toEqual([false, true, null, false]);
    expect(cols.sne).toEqual([true, false, null, true]);
    expect(cols.slt).toEqual([true, false, null, false]); // "äpfel" sorts after "b" by code point
    expect(cols.sge).toEqual([true, true, null, true]);
    expect(cols.beq).toEqual([true, false, null, true]);
    expect(cols.bgt).toEqual([true, false, null, true]);
    expect(cols.nul).toEqual([null, null, null, null]);
  });

  test("and / or / not use three-valued logic", async () => {
    const vals = [true, false, null];
    const rows: Row[] = [];
    for (const p of vals) for (const q of vals) rows.push({ id: rows.length, p, q });
    const { cols } = await evalCols(rows, schema({ id: t.int32(), p: t.bool(), q: t.bool() }), {
      and: col("p").and(col("q")),
      or: col("p").or(col("q")),
      not: col("p").not(),
      andLit: col("p").and(false),
      orLit: col("p").or(true),
    });
    // rows: (T,T) (T,F) (T,N) (F,T) (F,F) (F,N) (N,T) (N,F) (N,N)
    expect(cols.and).toEqual([true, false, null, false, false, false, null, false, null]);
    expect(cols.or).toEqual([true, true, true, true, false, null, true, null, null]);
    expect(cols.not).toEqual([false, false, false, true, true, true, null, null, null]);
    expect(cols.andLit).toEqual(new Array(9).fill(false));
    expect(cols.orLit).toEqual(new Array(9).fill(true));
  });

  test("isNull, isNotNull and coalesce", async () => {
    const s = schema({ id: t.int32(), a: t.int32(), x: t.float64(), s: t.string(), tags: t.list(t.string()) });
    const rows = [
      { id: 0, a: 1, x: null, s: "x", tags: ["a"] },
      { id: 1, a: null, x: 2.5, s: null, tags: null },
      { id: 2, a: null, x: null, s: null, tags: [] },
    ];
    const { cols, types } = await evalCols(rows, s, {
      an: col("a").isNull(),
      ann: col("a").isNotNull(),
      tn: col("tags").isNull(),
      ln: lit(null).isNull(),
      ai: col("a").coalesce(0),
      ax: col("a").coalesce(col("x"), -1),
      ss: col("s").coalesce("none"),
      nn: col("a").coalesce(lit(null)),
    });
    expect(types).toMatchObject({ an: "bool", ai: "int64", ax: "float64", ss: "string", nn: "int64" });
    expect(cols.an).toEqual([false, true, true]);
    expect(cols.ann).toEqual([true, false, false]);
    expect(cols.tn).toEqual([false, true, false]);
    expect(cols.ln).toEqual([true, true, true]);
    expect(cols.ai).toEqual([1, 0, 0]);
    expect(cols.ax).toEqual([1, 2.5, -1]);
    expect(cols.ss).toEqual(["x", "none", "none"]);
    expect(cols.nn).toEqual([1, null, null]);
  });

  test("when / otherwise: first true branch wins, a null condition counts as false", async () => {
    const s = schema({ id: t.int32(), n: t.int32(), name: t.string() });
    const rows = [
      { id: 0, n: 5, name: "a" },
      { id: 1, n: 50, name: "b" },
      { id: 2, n: 500, name: null },
      { id: 3, n: null, name: "d" },
    ];
    const { cols, types } = await evalCols(rows, s, {
      size: when(col("n").lt(10), "small").when(col("n").lt(100), "medium").otherwise("large"),
      num: when(col("n").gt(10), col("n")).otherwise(0.5),
      nullElse: when(col("n").gt(10), col("name")).otherwise(null),
      flag: when(col("name").isNull(), false).otherwise(col("n").ge(5)),
    });
    expect(types).toMatchObject({ size: "string", num: "float64", nullElse: "string", flag: "bool" });
    expect(cols.size).toEqual(["small", "medium", "large", "large"]);
    expect(cols.num).toEqual([0.5, 50, 500, 0.5]);
    expect(cols.nullElse).toEqual([null, "b", null, null]);
    expect(cols.flag).toEqual([true, true, false, null]);
  });
});

describe("expressions: strings", () => {
  const s = schema({ id: t.int32(), s: t.string(), u: t.string() });
  const rows = [
    { id: 0, s: "Hello", u: "x" },
    { id: 1, s: "ÄÖÜ straße", u: "ß" },
    { id: 2, s: "日本語", u: "本" },
    { id: 3, s: null, u: "y" },
    { id: 4, s: "", u: null },
  ];

  test("lower, upper and length handle unicode (length in code points)", async () => {
    const { cols, types } = await evalCols(rows, s, { lo: col("s").lower(), up: col("s").upper(), len: col("s").length(), emoji: lit("a😀b").length() });
    expect(types).toMatchObject({ lo: "string", up: "string", len: "int32" });
    expect(cols.lo).toEqual(["hello", "äöü straße", "日本語", null, ""]);
    expect(cols.up).toEqual(["HELLO", "ÄÖÜ STRASSE", "日本語", null, ""]);
    expect(cols.len).toEqual([5, 10, 3, null, 0]);
    expect(cols.emoji).toEqual([3, 3, 3, 3, 3]);
  });

  test("contains, startsWith and concat", async () => {
    const { cols } = await evalCols(rows, s, {
      has: col("s").contains("l"),
      hasU: col("s").contains("本語"),
      hasEmpty: col("s").contains(""),
      starts: col("s").startsWith("ÄÖ"),
      cat: col("s").concat("-", col("u")),
      cat2: lit("<").concat(col("u"), ">"),
    });
    expect(cols.has).toEqual([true, false, false, null, false]);
    expect(cols.hasU).toEqual([false, false, true, null, false]);
    expect(cols.hasEmpty).toEqual([true, true, true, null, true]);
    expect(cols.starts).toEqual([false, true, false, null, false]);
    expect(cols.cat).toEqual(["Hello-x", "ÄÖÜ straße-ß", "日本語-本", null, null]);
    expect(cols.cat2).toEqual(["<x>", "<ß>", "<本>", "<y>", null]);
  });

  test("string operations over a sliced column read the right rows", async () => {
    const table = new arrow.Table({
      id: arrow.vectorFromArray([0, 1, 2, 3], new arrow.Int32()),
      s: arrow.vectorFromArray(["zero", "ONE", "Two", "drei"], new arrow.Utf8()),
    });
    const sliced = table.batches[0].slice(1, 4);
    const p = new Pipeline();
    const { fromArrow } = await import("beamline");
    const out = collect(p.apply(fromArrow([sliced])).apply(select("id", col("s").lower().as("lo"), col("s").length().as("n"), col("s").cast("string").as("same"))));
    await run(p);
    expect([...out.rows].sort((a: any, b: any) => a.id - b.id)).toEqual([
      { id: 1, lo: "one", n: 3, same: "ONE" },
      { id: 2, lo: "two", n: 3, same: "Two" },
      { id: 3, lo: "drei", n: 4, same: "drei" },
    ]);
  });
});

describe("expressions: cast", () => {
  test("between numbers, strings and bools", async () => {
    const s = schema({ id: t.int32(), x: t.float64(), s: t.string(), b: t.bool(), ts: t.timestamp() });
    const rows = [
      { id: 0, x: 3.7, s: " 42 ", b: true, ts: 0 },
      { id: 1, x: -3.7, s: "-1.5e2", b: false, ts: 86_400_000 },
      { id: 2, x: null, s: null, b: null, ts: null },
    ];
    const { cols, types } = await evalCols(rows, s, {
      xi: col("x").cast("int32"),
      xl: col("x").cast("int64"),
      xs: col("x").cast("string"),
      xb: col("x").cast("bool"),
      sf: col("s").cast("float64"),
      si: col("s").cast("int64"),
      bi: col("b").cast("int32"),
      bs: col("b").cast("string"),
      tsf: col("ts").cast("float64"),
      tss: col("ts").cast("string"),
      sb: lit("Yes").cast("bool"),
    });
    expect(types).toMatchObject({ xi: "int32", xl: "int64", xs: "string", xb: "bool", sf: "float64", si: "int64", bi: "int32", bs: "string", tsf: "float64", tss: "string" });
    expect(cols.xi).toEqual([3, -3, null]);
    expect(cols.xl).toEqual([3, -3, null]);
    expect(cols.xs).toEqual(["3.7", "-3.7", null]);
    expect(cols.xb).toEqual([true, true, null]);
    expect(cols.sf).toEqual([42, -150, null]);
    expect(cols.si).toEqual([42, -150, null]);
    expect(cols.bi).toEqual([1, 0, null]);
    expect(cols.bs).toEqual(["true", "false", null]);
    expect(cols.tsf).toEqual([0, 86_400_000, null]);
    expect(cols.tss).toEqual(["1970-01-01T00:00:00.000Z", "1970-01-02T00:00:00.000Z", null]);
    expect(cols.sb).toEqual([true, true, true]);
  });

  test("an unparseable string fails the run naming the row, the value and a fix", async () => {
    const p = new Pipeline();
    collect(p.apply(create([{ s: "1" }, { s: "abc" }])).apply(withColumn("n", col("s").cast("float64"))));
    const err = await run(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.code).toBe("BL_EXPR_CAST");
    expect(err.message).toContain('"abc"');
    expect(err.message).toContain("row 1");
    expect(err.message).toContain('col("s").cast("float64")');
    expect(err.message).toContain("where(");
  });

  test("a value out of the int32 range fails the run", async () => {
    const p = new Pipeline();
    collect(p.apply(create([{ x: 3e9 }])).apply(withColumn("n", col("x").cast("int32"))));
    await expect(run(p)).rejects.toThrow(/outside the int32 range/);
  });
});

describe("expressions: select, withColumn, where", () => {
  const s = schema({ id: t.int32(), price: t.float64(), qty: t.int32(), name: t.string() });
  const rows = [
    { id: 1, price: 2.5, qty: 4, name: "pen" },
    { id: 2, price: 10, qty: null, name: "book" },
    { id: 3, price: 1, qty: 100, name: "clip" },
  ];

  test("select keeps, renames and computes columns in the order listed", async () => {
    const { rows: out, types } = await apply(rows, select("id", col("name").as("item"), col("price").mul(col("qty")).as("total"), ["qty"]), s);
    expect(types).toEqual({ id: "int32", item: "string", total: "float64", qty: "int32" });
    expect(out).toEqual([
      { id: 1, item: "pen", total: 10, qty: 4 },
      { id: 2, item: "book", total: null, qty: null },
      { id: 3, item: "clip", total: 100, qty: 100 },
    ]);
  });

  test("withColumn appends a new column, or replaces an existing one in place", async () => {
    const added = await apply(rows, withColumn("total", col("price").mul(col("qty"))), s);
    expect(Object.keys(added.types)).toEqual(["id", "price", "qty", "name", "total"]);
    expect(added.rows.map((r) => r.total)).toEqual([10, null, 100]);
    const replaced = await apply(rows, withColumn("price", col("price").mul(100).cast("int64")), s);
    expect(replaced.types).toEqual({ id: "int32", price: "int64", qty: "int32", name: "string" });
    expect(replaced.rows).toEqual([
      { id: 1, price: 250, qty: 4, name: "pen" },
      { id: 2, price: 1000, qty: null, name: "book" },
      { id: 3, price: 100, qty: 100, name: "clip" },
    ]);
    expect(Object.keys(replaced.rows[0])).toEqual(["id", "price", "qty", "name"]);
  });

  test("withColumn on bare values: replacing \"value\" keeps them bare, adding a column makes objects", async () => {
    const p = new Pipeline();
    const xs = p.apply(create([1, 2, 3]));
    const doubled = collect(xs.apply(withColumn("value", col("value").mul(2))), "Doubled");
    const withSq = collect(xs.apply(withColumn("sq", col("value").mul(col("value")))), "WithSq");
    await run(p);
    expect([...doubled.rows].sort()).toEqual([2, 4, 6]);
    expect([...withSq.rows].sort((a: any, b: any) => a.value - b.value)).toEqual([{ value: 1, sq: 1 }, { value: 2, sq: 4 }, { value: 3, sq: 9 }]);
  });

  test("where drops false and null rows and keeps the timestamps and windows of the survivors", async () => {
    const p = new Pipeline();
    const events = [
      { id: 1, t: 1_000, amount: 5 },
      { id: 2, t: 12_000, amount: 50 },
      { id: 3, t: 25_000, amount: null },
      { id: 4, t: 31_000, amount: 70 },
      { id: 5, t: 44_000, amount: 1 },
    ];
    const out = collect(
      p.apply(create(events)).apply(withTimestamps("t")).apply(windowInto(fixedWindows(10_000))).apply(where(col("amount").gt(10))),
    );
    await run(p);
    const got = [...out.elements].sort((a: any, b: any) => a.value.id - b.value.id);
    expect(got.map((e: any) => e.value.id)).toEqual([2, 4]);
    expect(got.map((e) => e.timestamp)).toEqual([12_000, 31_000]);
    expect(got.map((e) => [e.window.start, e.window.end])).toEqual([[10_000, 20_000], [30_000, 40_000]]);
  });

  test("where over a combined condition; the schema is unchanged", async () => {
    const { rows: out, types } = await apply(rows, where(col("qty").isNull().or(col("name").startsWith("c"))), s);
    expect(types).toEqual({ id: "int32", price: "float64", qty: "int32", name: "string" });
    expect(out.map((r) => r.id)).toEqual([2, 3]);
  });

  test("a 200k-row batch runs through the columnar path: withColumn, where and select", async () => {
    const n = 200_000;
    const ids = Array.from({ length: n }, (_, i) => i);
    const p = new Pipeline();
    const src = p.apply(createColumns(
      { id: ids, price: ids.map((i) => (i % 100) / 4), qty: ids.map((i) => (i % 7 === 0 ? null : i % 10)), name: ids.map((i) => (i % 2 ? "Ä" : "b") + i) },
      { schema: schema({ id: t.int32(), price: t.float64(), qty: t.int32(), name: t.string() }) },
    ));
    const result = src
      .apply(withColumn("total", col("price").mul(col("qty"))))
      .apply(where(col("total").gt(100).and(col("name").startsWith("Ä"))))
      .apply(select("id", col("total"), col("name").upper().length().as("len")));
    const out = collect(result);
    const started = Date.now();
    await run(p);
    const elapsed = Date.now() - started;
    let expected = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const q = i % 7 === 0 ? null : i % 10;
      const total = q === null ? null : ((i % 100) / 4) * q;
      if (total !== null && total > 100 && i % 2 === 1) { expected++; sum += total; }
    }
    expect(out.rows.length).toBe(expected);
    expect(out.rows.reduce((acc: number, r: any) => acc + r.total, 0)).toBeCloseTo(sum, 6);
    const first = [...out.rows].sort((a: any, b: any) => a.id - b.id)[0] as any;
    expect(first.len).toBe(String(first.id).length + 1);
    expect(elapsed).toBeLessThan(20_000);

    // Every expression transform is a columnar ParDo carrying its expression as JSON.
    const graph = p.graph();
    const exprTransforms = Object.values(graph.transforms).filter((tr) => tr.urn === PARDO_URN && (tr.payload as any).expressions);
    expect(exprTransforms.map((tr) => (tr.payload as any).kind)).toEqual(["columnar", "columnar", "columnar"]);
    const sel = exprTransforms.find((tr) => tr.uniqueName === "Select")!;
    expect((sel.payload as any).expressions.select[2]).toEqual({
      name: "len",
      expr: { op: "alias", name: "len", arg: { op: "length", arg: { op: "upper", arg: { op: "col", name: "name" } } } },
    });
  });
});

describe("expressions: errors at construction", () => {
  const s = schema({ price: t.float64(), name: t.string(), flag: t.bool() });

  function input(): PCollection<any> {
    return new Pipeline().apply(create([{ price: 1, name: "a", flag: true }], { schema: s }));
  }

  test("a missing column is refused at construction, listing the available columns", () => {
    const err = (() => { try { input().apply(withColumn("x", col("prize").mul(2))); } catch (e) { return e; } })() as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.code).toBe("BL_NO_SUCH_FIELD");
    expect(err.value).toBe("prize");
    expect(err.message).toContain('transform "WithColumn"');
    expect(err.message).toContain('col("prize").mul(2)');
    expect(err.rule).toContain("{price: float64, name: string, flag: bool}");
    expect(err.fix).toContain("withColumn");
  });

  test("a near miss in case is suggested", () => {
    expect(() => input().apply(select(col("Price").as("p")))).toThrow(/did you mean col\("price"\)/);
  });

  test("a type mismatch names the column, the rule and the fix", () => {
    const err = (() => { try { input().apply(withColumn("y", col("name").add(1))); } catch (e) { return e; } })() as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.code).toBe("BL_EXPR_TYPE");
    expect(err.value).toBe("name");
    expect(err.rule).toContain("add needs numbers");
    expect(err.rule).toContain("string");
    expect(err.rule).toContain("price: float64");
    expect(err.fix).toContain('col("name").cast("float64")');
  });

  test("other type errors: comparisons across kinds, logic on numbers, where on a non-bool, when branches", () => {
    expect(() => input().apply(where(col("name").eq(1)))).toThrow(/eq compares values of one kind/);
    expect(() => input().apply(where(col("price").and(col("flag"))))).toThrow(/and needs bools.*price/);
    expect(() => input().apply(where(col("price")))).toThrow(/where needs a bool condition/);
    expect(() => input().apply(select(when(col("flag"), 1).otherwise("one").as("x")))).toThrow(/branches of when must be of one kind/);
    expect(() => input().apply(select(col("price").upper().as("x")))).toThrow(/upper needs a string/);
    expect(() => input().apply(select(col("price").concat("x").as("x")))).toThrow(/concat joins strings/);
  });

  test("structural errors: unnamed computed select items, duplicates, bad literals, unfinished when", () => {
    expect(() => select(col("a").add(1))).toThrow(/needs a name.*\.as\("…"\)/);
    expect(() => select("a", col("b").as("a"))).toThrow(/twice/);
    expect(() => lit(NaN)).toThrow(PipelineConstructionError);
    expect(() => col("a").add(undefined as never)).toThrow(/undefined/);
    expect(() => select(when(col("a"), 1) as never)).toThrow(PipelineConstructionError);
    expect(() => col("a").cast("float32" as never)).toThrow(/cast takes one of/);
  });

  test("with a schema known only at run time the same checks run on the first batch", async () => {
    const p = new Pipeline();
    const inferred = p.apply(create([{ a: 1 }, { a: 2 }])).map((r: { a: number }) => ({ a: r.a, s: `n${r.a}` }));
    expect(inferred.schema).toBeNull();
    const ok = inferred.apply(withColumn("b", col("a").mul(10).add(col("s").length())));
    expect(ok.schema).toBeNull();
    const got = collect(ok);
    await run(p);
    expect([...got.rows].sort((x: any, y: any) => x.a - y.a)).toEqual([{ a: 1, s: "n1", b: 12 }, { a: 2, s: "n2", b: 22 }]);

    const p2 = new Pipeline();
    collect(p2.apply(create([{ a: 1 }])).map((r: { a: number }) => ({ a: r.a })).apply(where(col("missing").gt(0))));
    const err = await run(p2).catch((e) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.message).toContain('"missing"');
    expect(err.message).toContain("{a: float64}");
  });
});

describe("expressions: JSON form", () => {
  test("expressions are plain JSON, round-trip through exprFromJson, and render as code", () => {
    const e = when(col("a").gt(1).and(col("s").contains("x").not()), col("a").cast("string").concat("!")).otherwise(lit(null)).as("out");
    const json = JSON.parse(JSON.stringify(e));
    expect(json).toEqual(e.node);
    const back = exprFromJson(json);
    expect(back.node).toEqual(e.node);
    expect(back.toString()).toBe('when(col("a").gt(1).and(col("s").contains("x").not()), col("a").cast("string").concat("!")).otherwise(null).as("out")');
    expect(() => exprFromJson({ op: "col" })).toThrow(/"name" must be a string/);
    expect(() => exprFromJson({ op: "explode", arg: { op: "col", name: "a" } })).toThrow(/unknown op "explode"/);
  });

  test("the graph fingerprint covers the expression", () => {
    const build = (k: number) => {
      const p = new Pipeline();
      p.apply(create([{ a: 1 }])).apply(withColumn("b", col("a").add(k)));
      return p.fingerprint();
    };
    expect(build(1)).toBe(build(1));
    expect(build(1)).not.toBe(build(2));
  });

  test("timestamps compare with numbers and pass through unchanged", async () => {
    const { rows: out, types } = await apply(
      [{ id: 1, ts: 1000 }, { id: 2, ts: 5000 }],
      select("id", "ts", col("ts").ge(2000).as("late"), col("ts").coalesce(0).as("ts2")),
      schema({ id: t.int32(), ts: t.timestamp() }),
    );
    expect(types).toEqual({ id: "int32", ts: "timestamp", late: "bool", ts2: "timestamp" });
    expect(out).toEqual([{ id: 1, ts: 1000, late: false, ts2: 1000 }, { id: 2, ts: 5000, late: true, ts2: 5000 }]);
  });
});
