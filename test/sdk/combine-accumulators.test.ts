import { BeamlineError, type CombineFn } from "beamline";
import type { CombineRuntime } from "../../sdk/combine";
import { CombineAccumulators } from "../../sdk/combine-accumulators";
import { thrownBy } from "../helpers";

const sumFn: CombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((x, y) => x + y, 0),
  extractOutput: (a) => a,
};
const countFn: CombineFn<unknown, number, number> = { ...sumFn, addInput: (a) => a + 1 } as CombineFn<unknown, number, number>;

function fold(rt: CombineRuntime, key: unknown, rows: unknown[][]): unknown {
  const c = new CombineAccumulators(rt, "Agg");
  const parts = rows.map((part) => {
    const acc = c.create();
    for (const r of part) c.add(acc, r);
    return acc;
  });
  return c.output(key, c.merge(parts));
}

describe("combine accumulators", () => {
  test("fold, merge and shape the output row as flat, kv or a bare value", () => {
    const flat: CombineRuntime = { keyFields: ["city"], aggregates: { total: { field: "n", fn: sumFn }, rows: { field: null, fn: countFn } }, shape: "flat" };
    expect(fold(flat, { city: "Oslo" }, [[{ n: 2 }, { n: 3 }], [{ n: 5 }]])).toEqual({ city: "Oslo", total: 10, rows: 3 });
    expect(new CombineAccumulators(flat, "Agg").outputFields).toEqual(["city", "total", "rows"]);
    const kv: CombineRuntime = { keyFields: ["key"], aggregates: { value: { field: "value", fn: sumFn } }, shape: "kv" };
    expect(fold(kv, { key: "a" }, [[{ key: "a", value: 4 }], [{ key: "a", value: 1 }]])).toEqual({ key: "a", value: 5 });
    const value: CombineRuntime = { keyFields: [], aggregates: { value: { field: null, fn: sumFn } }, shape: "value" };
    expect(fold(value, {}, [[1, 2], []])).toBe(3);
    expect(fold(value, {}, [])).toBe(0);
  });

  test("a CombineFn that throws fails as the combine's user error, naming the input", () => {
    const bad: CombineRuntime = { keyFields: [], aggregates: { value: { field: null, fn: { ...sumFn, addInput: () => { throw new Error("boom"); } } } }, shape: "value" };
    const c = new CombineAccumulators(bad, "Agg");
    const e = thrownBy(() => c.add(c.create(), 7)) as BeamlineError;
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e.code).toBe("BL_USER_CODE_FAILED");
    expect(e.where).toBe('transform "Agg"');
    expect(e.value).toBe(7);
  });
});
