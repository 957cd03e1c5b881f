import {
  buildPipeline, count, countPerElement, create, definePipeline, type ElementBatch, groupBy, groupByKey, max, mean, rowsToRecordBatch,
  scalarSchema, sum, t,
} from "beamline";
import type { GraphTransform } from "../../../sdk/graph";
import { ParDoInvoker } from "../../../sdk/invoker";
import { globalBatch } from "../../../sdk/batch";
import { keepsStrings } from "../../../sdk/columns";
import type { ParDoFn } from "../../../sdk/pardo";
import { COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { GROUP_BY_KEY_URN } from "../../../sdk/kv";
import { readsStringsAsBytes } from "../../../runners/direct/plan/strings-as-bytes";

/** The transforms of a small pipeline, by the name of the step that made them. */
const transforms = definePipeline({
  build(p) {
    const words = p.apply("Words", create(["a", "b", "a"]));
    words.apply("CountWords", countPerElement<string>());
    const rows = p.apply("Rows", create([{ k: "a", v: 1 }]));
    rows.apply("Sums", groupBy<{ k: string; v: number }>("k").aggregate({ n: count(), total: sum("v"), avg: mean("v") }));
    rows.apply("Highest", groupBy<{ k: string; v: number }>("k").aggregate({ top: max("v") }));
    rows.apply("TwoKeys", groupBy<{ k: string; v: number }>("k", "v").aggregate({ n: count() }));
    p.apply("Pairs", create([{ key: "a", value: "x" }])).apply("Group", groupByKey());
  },
});

describe("which consumers read string columns as bytes", () => {
  const graph = buildPipeline(transforms, {}).graph();
  /** The combine (or GroupByKey) a step expanded to. */
  const named = (step: string): GraphTransform =>
    Object.values(graph.transforms).find((x) => x.uniqueName.startsWith(`${step}`) && (x.urn === COMBINE_PER_KEY_URN || x.urn === GROUP_BY_KEY_URN))!;

  test("combines by one key with counts, sums and means do; others, and a GroupByKey, do not", () => {
    expect(readsStringsAsBytes(named("CountWords"))).toBe(true);
    expect(readsStringsAsBytes(named("Sums"))).toBe(true);
    expect(readsStringsAsBytes(named("Highest"))).toBe(false); // a max may compare strings
    expect(readsStringsAsBytes(named("TwoKeys"))).toBe(false); // keys of two fields are read as values
    expect(readsStringsAsBytes(named("Group"))).toBe(false);
  });

  test("a ParDo keeps the strings of an output only while a consumer may read them back", () => {
    const fn = { kind: "flatMap", fn: (line: string) => line.split(" ") } as unknown as ParDoFn;
    const input: ElementBatch = globalBatch(rowsToRecordBatch(["a b", "c"], scalarSchema(t.string()).arrow, "test"));
    const outputs = (columnar: Set<string>) => {
      const out: ElementBatch[] = [];
      new ParDoInvoker("Words", fn, { main: scalarSchema(t.string()).arrow }, columnar).processBatch(input, (_tag, b) => out.push(b));
      return out[0];
    };
    expect(keepsStrings(outputs(new Set()).data.data.children[0])).toBe(true);
    const lean = outputs(new Set(["main"]));
    expect(keepsStrings(lean.data.data.children[0])).toBe(false);
    expect(lean.data.getChildAt(0)!.toArray()).toEqual(["a", "b", "c"]);
  });
});
