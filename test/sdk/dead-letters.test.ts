/**
 * Dead-letter outputs of element-wise transforms on the direct runner: a throwing element goes to
 * `deadLetter` with its error and attempts, every other element to `main`, and without the option
 * the run fails naming the transform.
 */
import {
  collect, create, deadLetterSchema, DoFn, filter, fixedWindows, flatMap, map, mapBatches, parDo, parDoWithOutputs, Pipeline,
  PipelineConstructionError, runPipeline, schema, state, t, UnsupportedFeatureError, UserCodeError, windowInto, withTimestamps,
} from "beamline";
import * as arrow from "apache-arrow";

const N = 1000;
const input = Array.from({ length: N }, (_, i) => ({ id: i }));
const isBad = (id: number) => id % 7 === 3;

function parse(row: { id: number }): { id: number; half: number } {
  if (isBad(row.id)) throw new RangeError(`id ${row.id} is bad`);
  return { id: row.id, half: row.id / 2 };
}

/** Checks that the dead letters are exactly the bad ids, each with its error and transform. */
function expectDeadLetters(dead: readonly any[], transform: string, ids = input.map((r) => r.id).filter(isBad)): void {
  expect(dead.map((d) => JSON.parse(d.element).id).sort((a: number, b: number) => a - b)).toEqual(ids);
  for (const d of dead) {
    expect(d).toMatchObject({ transform, errorName: "RangeError", message: `id ${JSON.parse(d.element).id} is bad`, attempts: 1, raw: null, window: "global" });
    expect(d.stack).toMatch(/^at /);
  }
}

describe("dead letters of element-wise transforms (direct runner)", () => {
  test("map { deadLetter: true }: bad rows go to deadLetter with their error, every other row to main", async () => {
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply("Parse", map(parse, { deadLetter: true }));
    expect(deadLetter.schema!.fields.map((f) => f.name)).toEqual(deadLetterSchema.arrow.fields.map((f) => f.name));
    expect(p.graph().transforms["Parse"].outputs).toHaveProperty("deadLetter");
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 64 });
    expect(good.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(input.map((r) => r.id).filter((id) => !isBad(id)));
    expect(good.rows.every((r) => r.half === r.id / 2)).toBe(true);
    expectDeadLetters(dead.rows, "Parse");
  });

  test("without the option the run fails naming the transform and the element", async () => {
    const p = new Pipeline();
    p.apply(create(input)).apply("Parse", map(parse));
    const err = await runPipeline(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.message).toContain('transform "Parse"');
    expect(err.message).toContain("id 3 is bad");
  });

  test.each([
    ["flatMap", () => flatMap((r: { id: number }) => [parse(r)])],
    ["filter", () => filter((r: { id: number }) => parse(r).half >= 0)],
    ["parDo", () => parDo<{ id: number }, unknown>({ process: (r, ctx) => ctx.output(parse(r)) })],
    ["mapBatches", () => mapBatches((b: arrow.RecordBatch) => {
      const bad = Array.from(b.getChild("id")!.toArray() as Float64Array).find(isBad);
      if (bad !== undefined) throw new RangeError(`id ${bad} is bad`);
      return b;
    })],
  ])("without the option a throwing %s fails the run naming the transform", async (_kind, make) => {
    const p = new Pipeline();
    p.apply(create(input, { schema: schema({ id: t.float64() }) })).apply("Step", make() as never);
    const err = await runPipeline(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.message).toContain('transform "Step"');
    expect(err.message).toContain("id 3 is bad");
  });

  test("the fluent form withDeadLetter() and PCollection.map/filter/flatMap(fn, { deadLetter: true }) give the same split", async () => {
    const p = new Pipeline();
    const rows = p.apply(create(input));
    const a = rows.apply("A", map(parse).withDeadLetter());
    const b = rows.map(parse, { deadLetter: true, name: "B" });
    const c = rows.filter((r) => parse(r).half >= 0, { deadLetter: true, name: "C" });
    const d = rows.flatMap((r) => [parse(r)], { deadLetter: true, name: "D" });
    const [ga, da, gb, db] = [collect(a.main, "GA"), collect(a.deadLetter, "DA"), collect(b.main, "GB"), collect(b.deadLetter, "DB")];
    const [gc, dc, dd] = [collect(c.main, "GC"), collect(c.deadLetter, "DC"), collect(d.deadLetter, "DD")];
    await runPipeline(p);
    expect(gc.rows.length).toBe(ga.rows.length);
    expectDeadLetters(dc.rows, "C");
    expectDeadLetters(dd.rows, "D");
    expect(ga.rows.length).toBe(N - da.rows.length);
    expect(gb.rows.length).toBe(ga.rows.length);
    expectDeadLetters(da.rows, "A");
    expectDeadLetters(db.rows, "B");
  });

  test("a dead letter keeps its element's event time and window, and main rows keep theirs", async () => {
    const p = new Pipeline();
    const rows = p.apply(create(input)).apply(withTimestamps((r: { id: number }) => r.id * 1000)).apply(windowInto(fixedWindows(60_000)));
    const { main, deadLetter } = rows.apply("Parse", map(parse, { deadLetter: true }));
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 100 });
    const d = dead.elements.find((e) => JSON.parse(e.value.element).id === 66)!;
    expect(d.value.eventTime).toBe(66_000);
    expect(d.value.window).toBe("[1970-01-01T00:01:00.000Z, 1970-01-01T00:02:00.000Z)");
    expect(d.timestamp).toBe(66_000);
    expect([d.window.start, d.window.end]).toEqual([60_000, 120_000]);
    expect(good.elements.every((e) => e.timestamp === e.value.id * 1000 && e.window.start === Math.floor(e.value.id / 60) * 60_000)).toBe(true);
    expect(good.elements.length + dead.elements.length).toBe(N);
  });

  test("flatMap: what a failing row yielded before it threw is dropped", async () => {
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply(
      "Explode",
      flatMap(function* (row: { id: number }) {
        yield { id: row.id, part: 0 };
        if (isBad(row.id)) throw new RangeError(`id ${row.id} is bad`);
        yield { id: row.id, part: 1 };
      }, { deadLetter: true }),
    );
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 128 });
    const okIds = input.map((r) => r.id).filter((id) => !isBad(id));
    expect(good.rows.map((r) => `${r.id}:${r.part}`).sort()).toEqual(okIds.flatMap((id) => [`${id}:0`, `${id}:1`]).sort());
    expectDeadLetters(dead.rows, "Explode");
  });

  test("filter: a predicate that throws dead-letters the row; the kept rows are the rest that pass", async () => {
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply(
      "Even",
      filter((row: { id: number }) => {
        if (isBad(row.id)) throw new RangeError(`id ${row.id} is bad`);
        return row.id % 2 === 0;
      }, { deadLetter: true }),
    );
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 100 });
    expect(good.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(input.map((r) => r.id).filter((id) => !isBad(id) && id % 2 === 0));
    expectDeadLetters(dead.rows, "Even");
  });

  test("parDoWithOutputs: tagged outputs keep going; what a failing row emitted to any tag is dropped", async () => {
    const dofn: DoFn<{ id: number }, unknown> = {
      process(row, ctx) {
        ctx.output({ id: row.id }, { tag: "seen" });
        if (isBad(row.id)) throw new RangeError(`id ${row.id} is bad`);
        ctx.output({ id: row.id, half: row.id / 2 });
      },
    };
    const p = new Pipeline();
    const rows = p.apply(create(input));
    const out = rows.apply("Split", parDoWithOutputs(dofn, { outputs: { seen: null }, deadLetter: true }));
    const fluent = rows.apply("Fluent", parDoWithOutputs(dofn, { outputs: { seen: null } }).withDeadLetter());
    expect(Object.keys(out).sort()).toEqual(["deadLetter", "main", "seen"]);
    expect(Object.keys(fluent).sort()).toEqual(["deadLetter", "main", "seen"]);
    const [good, seen, dead, fluentDead] = [collect(out.main, "Good"), collect(out.seen, "Seen"), collect(out.deadLetter, "Dead"), collect(fluent.deadLetter, "FluentDead")];
    await runPipeline(p, { batchSize: 50 });
    expectDeadLetters(fluentDead.rows, "Fluent");
    const okIds = input.map((r) => r.id).filter((id) => !isBad(id));
    expect(good.rows.map((r: any) => r.id).sort((a: number, b: number) => a - b)).toEqual(okIds);
    expect(seen.rows.map((r: any) => r.id).sort((a: number, b: number) => a - b)).toEqual(okIds);
    expectDeadLetters(dead.rows, "Split");
  });

  test("parDo and its fluent form route a throwing process() call to deadLetter", async () => {
    const dofn: DoFn<{ id: number }, { id: number; half: number }> = { process: (row, ctx) => ctx.output(parse(row)) };
    const p = new Pipeline();
    const rows = p.apply(create(input));
    const a = rows.apply("A", parDo(dofn, { deadLetter: true }));
    const b = rows.apply("B", parDo(dofn).withDeadLetter());
    const [ga, da, db] = [collect(a.main, "GA"), collect(a.deadLetter, "DA"), collect(b.deadLetter, "DB")];
    await runPipeline(p);
    expect(ga.rows.length).toBe(N - da.rows.length);
    expectDeadLetters(da.rows, "A");
    expectDeadLetters(db.rows, "B");
  });

  test("mapBatches: a batch the function throws on runs again row by row; only the bad rows are dead-lettered", async () => {
    let wholes = 0;
    let singles = 0;
    const double = (b: arrow.RecordBatch): arrow.RecordBatch => {
      if (b.numRows === 1) singles++;
      else wholes++;
      const ids = b.getChild("id")!.toArray() as Float64Array;
      const bad = Array.from(ids).find(isBad);
      if (bad !== undefined) throw new RangeError(`id ${bad} is bad`);
      return new arrow.RecordBatch({ id: arrow.makeData({ type: new arrow.Float64(), length: ids.length, data: ids }), twice: arrow.makeData({ type: new arrow.Float64(), length: ids.length, data: ids.map((x) => x * 2) }) });
    };
    const p = new Pipeline();
    const rows = p.apply(create(input, { schema: schema({ id: t.float64() }) })).apply(withTimestamps((r: { id: number }) => r.id));
    const { main, deadLetter } = rows.apply("Double", mapBatches<{ id: number }, { id: number; twice: number }>(double, { deadLetter: true }));
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 100 });
    expect(good.elements.map((e) => e.value.id).sort((a, b) => a - b)).toEqual(input.map((r) => r.id).filter((id) => !isBad(id)));
    expect(good.elements.every((e) => e.value.twice === e.value.id * 2 && e.timestamp === e.value.id)).toBe(true);
    expectDeadLetters(dead.rows, "Double");
    // The whole batch first, then (it holds bad rows) each of its rows once.
    expect(wholes).toBeGreaterThanOrEqual(1);
    expect(singles).toBe(N);
  });

  test("a map row that does not fit the declared output schema is dead-lettered too", async () => {
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply(
      "Typed",
      map((r: { id: number }) => ({ id: r.id, label: isBad(r.id) ? { not: "a string" } : `n${r.id}` }), { schema: schema({ id: t.int64(), label: t.string() }), deadLetter: true }),
    );
    const good = collect(main, "Good");
    const dead = collect(deadLetter, "Dead");
    await runPipeline(p, { batchSize: 100 });
    expect(good.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(input.map((r) => r.id).filter((id) => !isBad(id)));
    expect(dead.rows.length).toBe(input.filter((r) => isBad(r.id)).length);
    expect(dead.rows.every((d) => d.errorName === "SchemaError" && d.message.includes("label"))).toBe(true);
  });

  test("construction refuses dead letters on a stateful DoFn, limits without dead letters, and a taken tag", () => {
    const p = new Pipeline();
    const kv = p.apply(create([{ key: "a", value: 1 }]));
    const stateful: DoFn<{ key: string; value: number }, number, { n: ReturnType<typeof state.value<number>> }> = { state: { n: state.value<number>() }, process: () => {} };
    expect(() => kv.apply("S", parDo(stateful, { deadLetter: true }))).toThrow(UnsupportedFeatureError);
    expect(() => kv.apply("L", map((x) => x, { maxDeadLetters: 3 }))).toThrow(PipelineConstructionError);
    expect(() => kv.apply("R", map((x) => x, { deadLetter: true, maxDeadLetterRatio: 2 }))).toThrow(/maxDeadLetterRatio is a share between 0 and 1/);
    expect(() => kv.apply("T", parDoWithOutputs({ process: () => {} }, { outputs: { deadLetter: null }, deadLetter: true }))).toThrow(/named like the dead-letter output/);
  });
});
