/** Payloads declared once per URN, read through payloadOf. */
import { COMBINE_PER_KEY_URN } from "../../sdk/combine";
import { PARDO_URN } from "../../sdk/pardo";
import { isStatefulParDo, payloadOf } from "../../sdk/payload";
import { READ_URN } from "../../sdk/source";
import { Pipeline, create, map, groupBy, sum, schema, t, state, parDo, type StateSpec, type ValueState } from "beamline";

function graphOf(build: (p: Pipeline) => void) {
  const p = new Pipeline();
  build(p);
  return p.graph();
}

describe("payloadOf", () => {
  const graph = graphOf((p) => {
    const rows = p.apply("Rows", create([{ word: "a", n: 1 }], { schema: schema({ word: t.string(), n: t.float64() }) }));
    rows.apply("Sum", groupBy("word").aggregate({ total: sum("n") }));
    rows
      .apply("KV", map((r: { word: string; n: number }) => ({ key: r.word, value: r.n }), { schema: schema({ key: t.string(), value: t.float64() }) }))
      .apply("Count", parDo<{ key: string; value: number }, number, { seen: StateSpec<ValueState<number>> }>({ state: { seen: state.value<number>() }, process() {} }));
  });
  const named = (suffix: string) => Object.values(graph.transforms).find((x) => x.uniqueName.endsWith(suffix))!;

  it("narrows a combine's payload to its declared fields", () => {
    const combine = payloadOf(named("Sum"), COMBINE_PER_KEY_URN);
    expect(combine).toEqual({ keyFields: ["word"], aggregates: { total: { field: "n", combiner: "sum" } }, shape: "flat" });
  });

  it("returns null for a transform of another URN", () => {
    expect(payloadOf(named("Sum"), PARDO_URN)).toBeNull();
    expect(payloadOf(named("KV"), COMBINE_PER_KEY_URN)).toBeNull();
  });

  it("reads a ParDo's state cells and a source's kind", () => {
    expect(payloadOf(named("Count"), PARDO_URN)).toMatchObject({ kind: "dofn", stateful: true, state: { seen: "value" }, timers: {} });
    expect(isStatefulParDo(named("Count"))).toBe(true);
    expect(isStatefulParDo(named("KV"))).toBe(false);
    const read = Object.values(graph.transforms).find((x) => x.urn === READ_URN)!;
    expect(payloadOf(read, READ_URN)?.source).toBe("memory");
  });
});
