/**
 * Combine lifting: the translation (Beamline lifts for Flink, Prism lifts itself, element-count
 * triggers are not lifted) and the harness's phases — precombine folds a bundle into one accumulator
 * per key and window, merge and extract give what combining the grouped values gives.
 */
import {
  afterCount, afterWatermark, aggregateWith, CombineFn, count, create, fixedWindows, groupBy, max, mean, min, Pipeline, sum, UserCodeError,
  windowInto, writeText,
} from "beamline";
import type { CombineRuntime } from "../../../sdk/combine";
import { beamProtos } from "../../../runners/portable/model/protos";
import { translate } from "../../../runners/portable/translate";
import { BEAMLINE_COMBINE_FN_URN, COMBINE_URNS } from "../../../runners/portable/model/payloads";
import type { CombineLifting } from "../../../runners/portable/translate-combine";
import { combinePhase, groupKeyId } from "../../../runners/portable/harness/combine-phases";
import { encodeOne, valueCoder } from "../../../runners/portable/coders/coders";
import type { RowBatch } from "../../../runners/portable/harness/elements/elements";
import { describeWith } from "./requirements";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

interface Sale {
  region: string;
  amount: number;
}

const joinItems: CombineFn<number, number[], string> = {
  createAccumulator: () => [],
  addInput: (acc, x) => [...acc, x],
  mergeAccumulators: (accs) => accs.flat(),
  extractOutput: (acc) => [...acc].sort((a, b) => a - b).join("+"),
};

const RT: CombineRuntime = {
  keyFields: ["region"],
  aggregates: {
    n: count(),
    total: sum("amount"),
    lo: min("amount"),
    hi: max("amount"),
    avg: mean("amount"),
    all: aggregateWith(joinItems, "amount"),
  },
  shape: "flat",
};

/** `{key, value}` rows as the KeyBy DoFn makes them, in the global window. */
function keyed(rows: Sale[], windows?: { start: number[]; end: number[] }): RowBatch {
  return {
    rows: rows.map((r) => ({ key: { region: r.region }, value: r })),
    timestamps: Float64Array.from(rows, (_, i) => 1000 + i),
    windows: windows ? { kind: "interval", start: Float64Array.from(windows.start), end: Float64Array.from(windows.end) } : { kind: "global" },
  };
}

async function run(urn: string, input: RowBatch, rt = RT): Promise<RowBatch[]> {
  const out: RowBatch[] = [];
  const phase = combinePhase(urn, "PerRegion", rt, (b) => void out.push(b));
  await phase.process(input);
  await phase.finish?.();
  return out;
}

const SALES: Sale[] = Array.from({ length: 1000 }, (_, i) => ({ region: ["n", "s", "e"][i % 3], amount: i % 17 }));

test("precombine folds a bundle into one accumulator per key; merged and extracted, it equals combining the grouped values", async () => {
  // Two bundles of the same input, as two workers would see them.
  const firstHalf = await run(COMBINE_URNS.precombine, keyed(SALES.slice(0, 600)));
  const secondHalf = await run(COMBINE_URNS.precombine, keyed(SALES.slice(600)));
  const lifted = [...firstHalf, ...secondHalf].flatMap((b) => b.rows) as { key: { region: string }; value: Record<string, unknown> }[];
  // 1000 rows cross the shuffle as 6 accumulators (3 keys × 2 bundles).
  expect(lifted).toHaveLength(6);
  expect(firstHalf[0].timestamps[0]).toBe(1000);
  // What the GroupByKey would deliver: accumulators grouped by key.
  const byKey = new Map<string, { key: { region: string }; values: unknown[] }>();
  for (const r of lifted) {
    const g = byKey.get(r.key.region) ?? { key: r.key, values: [] };
    g.values.push(r.value);
    byKey.set(r.key.region, g);
  }
  const grouped: RowBatch = { rows: [...byKey.values()], timestamps: new Float64Array(byKey.size), windows: { kind: "global" } };
  const merged = await run(COMBINE_URNS.merge, grouped);
  const extracted = (await run(COMBINE_URNS.extract, merged[0]))[0].rows;

  const groupedValues: RowBatch = {
    rows: ["n", "s", "e"].map((region) => ({ key: { region }, values: SALES.filter((s) => s.region === region) })),
    timestamps: new Float64Array(3),
    windows: { kind: "global" },
  };
  const direct = (await run(COMBINE_URNS.groupedValues, groupedValues))[0].rows;
  const byRegion = (rows: unknown[]) => [...(rows as { region: string }[])].sort((a, b) => a.region.localeCompare(b.region));
  expect(byRegion(extracted)).toEqual(byRegion(direct));
  const north = SALES.filter((s) => s.region === "n").map((s) => s.amount);
  expect(byRegion(extracted)[1]).toMatchObject({ region: "n", n: north.length, total: north.reduce((a, b) => a + b, 0), lo: 0, hi: 16 });
  expect((byRegion(extracted)[1] as unknown as { all: string }).all.split("+")).toHaveLength(north.length);
});

test("precombine keeps windows apart, each accumulator timed by its earliest input", async () => {
  const rows: Sale[] = [{ region: "n", amount: 1 }, { region: "n", amount: 2 }, { region: "n", amount: 4 }];
  const out = await run(COMBINE_URNS.precombine, keyed(rows, { start: [0, 60, 0], end: [60, 120, 60] }));
  const b = out[0];
  expect(b.rows.map((r: any) => r.value.total)).toEqual([5, 2]);
  expect(b.windows.kind === "interval" && [...b.windows.start]).toEqual([0, 60]);
  expect([...b.timestamps]).toEqual([1000, 1001]);
});

test("precombine groups plain string and number keys as their coder encodings do: \"1\" is not 1, -0 is not 0", async () => {
  const keys: unknown[] = ["1", 1, 0, -0, "a", "a", 1, "", 2.5, "n1", NaN, NaN];
  const input: RowBatch = { rows: keys.map((key) => ({ key, value: { region: "x", amount: 1 } })), timestamps: new Float64Array(keys.length), windows: { kind: "global" } };
  const out = await run(COMBINE_URNS.precombine, input);
  const groups = out[0].rows as { key: unknown; value: { n: number } }[];
  expect(groups.map((g) => [Object.is(g.key, -0) ? "-0" : g.key, g.value.n])).toEqual([["1", 1], [1, 2], [0, 1], ["-0", 1], ["a", 2], ["", 1], [2.5, 1], ["n1", 1], [NaN, 2]]);
});

test("a group key's id is equal for two keys exactly when their value-coder encodings are", () => {
  const keys: unknown[] = [
    "1", 1, 0, -0, "", "n1", "s1", "e", "s1:1", 2 ** 53, 1e-7, NaN, Infinity, true, null, undefined, 10n, [1], ["1"], new Uint8Array([49]), new Date(0),
    {}, { a: 1 }, { a: "1" }, { a: -0 }, { a: 0 }, { value: "ab" }, { value: "ab" }, { value: "a", b: "" }, { value: "a|1:b" }, { a: 1, b: 2 }, { b: 2, a: 1 },
    { a: [1] }, { a: null }, { a: { b: 1 } }, { "": "" }, { "1:a": "" },
  ];
  for (const a of keys) {
    for (const b of keys) {
      const sameEncoding = encodeOne(valueCoder, a).equals(encodeOne(valueCoder, b));
      expect([a, b, groupKeyId(a) === groupKeyId(b)]).toEqual([a, b, sameEncoding]);
    }
  }
});

test("a throwing CombineFn fails with the combine's name and the offending value", async () => {
  const rt: CombineRuntime = {
    keyFields: ["region"],
    aggregates: { bad: aggregateWith<number, number, number>({ createAccumulator: () => 0, addInput: (_a, x) => { if (x === 3) throw new Error("no threes"); return x; }, mergeAccumulators: (a) => a[0], extractOutput: (a) => a }, "amount") },
    shape: "flat",
  };
  const e = await run(COMBINE_URNS.precombine, keyed([{ region: "n", amount: 3 }]), rt).then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserCodeError);
  expect((e as Error).message).toContain("no threes");
  expect((e as Error).message).toContain('"PerRegion"');
});

function translated(p: Pipeline, lifting: CombineLifting): any {
  const protos = beamProtos();
  const { pipeline } = translate(p.graph(), protos, { environment: ENV, fingerprint: p.fingerprint(), runner: "test", combineLifting: lifting });
  return protos.decode("pipeline.Pipeline", protos.encode("pipeline.Pipeline", pipeline));
}

function salesPipeline(trigger = false): Pipeline {
  const p = new Pipeline();
  p.apply("Sales", create<Sale>([{ region: "n", amount: 1 }]))
    .apply("Windows", windowInto(fixedWindows("1m"), trigger ? { trigger: afterWatermark({ early: afterCount(2) }) } : {}))
    .apply("PerRegion", groupBy<Sale>("region").aggregate({ total: sum("amount") }))
    .apply("Write", writeText("/tmp/never"));
  return p;
}

describeWith(["mvn", "java"], "combine translation", () => {
  test("Beamline lifts (for Flink): KeyBy, then combine_per_key of precombine → GroupByKey of accumulators → merge → extract", () => {
    const c = translated(salesPipeline(), "sdk").components;
    expect(c.transforms.PerRegion.subtransforms).toEqual(["PerRegion/KeyBy", "PerRegion/CombinePerKey"]);
    const cpk = c.transforms["PerRegion/CombinePerKey"];
    expect(cpk.spec.urn).toBe(COMBINE_URNS.perKey);
    const payload = beamProtos().decode("pipeline.CombinePayload", cpk.spec.payload);
    expect(payload.combineFn.urn).toBe(BEAMLINE_COMBINE_FN_URN);
    expect(JSON.parse(Buffer.from(payload.combineFn.payload).toString())).toMatchObject({ transform: "PerRegion" });
    expect(c.coders[payload.accumulatorCoderId].spec.urn).toBe("beamline:coder:value:v1");
    expect(cpk.subtransforms.map((id: string) => c.transforms[id].spec.urn)).toEqual([COMBINE_URNS.precombine, "beam:transform:group_by_key:v1", COMBINE_URNS.merge, COMBINE_URNS.extract]);
    // Accumulators cross the shuffle: the GroupByKey's input is KV<key, accumulator>.
    const gbk = c.transforms["PerRegion/CombinePerKey/GroupByKey"];
    const kv = c.coders[c.pcollections[gbk.inputs.main].coderId];
    expect(kv.componentCoderIds[1]).toBe(payload.accumulatorCoderId);
    expect(c.transforms["PerRegion/CombinePerKey/Extract"].outputs.main).toBe("PerRegion/CombineValues.main");
    // The grouped values are never materialized.
    expect(c.pcollections["PerRegion/GroupByKey.main"]).toBeUndefined();
  });

  test("Prism lifts itself: combine_per_key holding the GroupByKey expansion with combine_grouped_values", () => {
    const c = translated(salesPipeline(), "runner").components;
    const cpk = c.transforms["PerRegion/CombinePerKey"];
    expect(cpk.spec.urn).toBe(COMBINE_URNS.perKey);
    expect(cpk.environmentId).toBe("beamline");
    expect(cpk.subtransforms.map((id: string) => c.transforms[id].spec.urn)).toEqual(["beam:transform:group_by_key:v1", COMBINE_URNS.groupedValues]);
  });

  test("an element-count trigger is not lifted: a plain composite of the GroupByKey expansion", () => {
    for (const lifting of ["sdk", "runner"] as const) {
      const c = translated(salesPipeline(true), lifting).components;
      const cpk = c.transforms["PerRegion/CombinePerKey"];
      expect(cpk.spec?.urn ?? "").toBe("");
      const urns = cpk.subtransforms.map((id: string) => c.transforms[id].spec.urn);
      expect(urns).toEqual(["beam:transform:group_by_key:v1", lifting === "sdk" ? "beam:transform:pardo:v1" : COMBINE_URNS.groupedValues]);
    }
  });
});
