import { create, definePipeline, buildPipeline, groupBy, count, option, Pipeline, PipelineConstructionError, OptionError, PTransform, PCollection, ExpandContext, transform } from "beamline";
import { parseOptions } from "../../sdk/options";
import { fingerprint } from "../../sdk/graph";

describe("pipeline graph", () => {
  const build = () => {
    const p = new Pipeline();
    const rows = p.apply(create([{ w: "a" }, { w: "b" }]));
    rows.map((r) => r.w).filter((w) => w !== "a");
    rows.apply(groupBy("w").aggregate({ n: count() }));
    return p;
  };

  test("equal constructions have equal fingerprints; different ones do not", () => {
    expect(build().fingerprint()).toBe(build().fingerprint());
    const other = build();
    other.apply("Extra", create([1]));
    expect(other.fingerprint()).not.toBe(build().fingerprint());
    // The fingerprint ignores object key order.
    const g = build().graph();
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
    const reordered = reverseKeys(g) as typeof g;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(g));
    expect(fingerprint(reordered)).toBe(fingerprint(g));
  });

  test("the graph is plain JSON: it survives a round trip unchanged", () => {
    const g = build().graph();
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });

  test("unnamed transforms get stable, numbered names; composites nest with /", () => {
    const g = build().graph();
    expect(Object.keys(g.transforms)).toEqual(expect.arrayContaining(["Create", "Map", "Filter", "Aggregate", "Aggregate/KeyBy", "Aggregate/GroupByKey"]));
    const p = new Pipeline();
    const x = p.apply(create([1]));
    x.map((v) => v);
    x.map((v) => v);
    expect(Object.keys(p.graph().transforms)).toEqual(["Create", "Map", "Map2"]);
  });

  test("a duplicate explicit name is refused with a fix", () => {
    const p = new Pipeline();
    p.apply("Numbers", create([1]));
    const err = (() => {
      try {
        p.apply("Numbers", create([2]));
      } catch (e) {
        return e as PipelineConstructionError;
      }
    })();
    expect(err).toBeInstanceOf(PipelineConstructionError);
    expect(err!.code).toBe("BL_DUPLICATE_NAME");
    expect(err!.message).toMatch(/"Numbers".*already applied.*another name/);
  });

  test("class and function transforms compose", () => {
    class Doubled extends PTransform<PCollection<number>, PCollection<number>> {
      expand(input: PCollection<number>): PCollection<number> {
        return input.map((x) => x * 2);
      }
    }
    const p = new Pipeline();
    const x = p.apply(create([1, 2]));
    x.apply(new Doubled());
    x.apply("Tripled", (input: PCollection<number>) => input.map((v) => v * 3));
    x.apply(transform("Quad", (input: PCollection<number>) => input.map((v) => v * 4)));
    expect(Object.keys(p.graph().transforms)).toEqual(expect.arrayContaining(["Doubled/Map", "Tripled/Map", "Quad/Map"]));
  });

  test("a composite that applies nothing is refused", () => {
    const p = new Pipeline();
    const x = p.apply(create([1]));
    expect(() => x.apply("Nothing", (input: PCollection<number>, _ctx: ExpandContext) => input)).toThrow(/applied no transform/);
  });

  test("PCollections of another pipeline are refused", () => {
    const a = new Pipeline();
    const b = new Pipeline();
    const x = a.apply(create([1]));
    expect(() => b.applyTransform(x, (pc: PCollection<number>) => pc.map((v) => v))).toThrow(/another Pipeline/);
  });

  test("create infers schemas and refuses what it cannot infer", () => {
    const p = new Pipeline();
    expect(p.apply(create([{ a: 1, b: "x" }])).schema!.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["a:Float64", "b:Utf8"]);
    expect(() => p.apply("Empty", create([]))).toThrow(/cannot be inferred.*declare it/);
    expect(() => p.apply("Mixed", create([{ a: 1 }, { a: "x" }]))).toThrow(/a/);
  });
});

describe("options", () => {
  const specs = {
    input: option.string("input glob", { required: true }),
    shards: option.integer("shards", { default: 1 }),
    verbose: option.boolean("talk more", { default: false }),
    mode: option.enum("mode", ["fast", "safe"] as const, { default: "safe" as const }),
  };

  test("parses --name=value, --name value, flags and defaults", () => {
    const { values } = parseOptions(["--input=a.txt", "--shards", "3", "--verbose"], specs);
    expect(values).toEqual({ input: "a.txt", shards: 3, verbose: true, mode: "safe" });
    expect(parseOptions(["--input=x", "--no-verbose", "--mode=fast"], specs).values).toMatchObject({ verbose: false, mode: "fast" });
  });

  test("refuses unknown options listing the known ones", () => {
    expect(() => parseOptions(["--input=a", "--shard=2"], specs)).toThrow(/"--shard" — is not an option.*--input, --mode, --shards, --verbose/);
  });

  test("refuses malformed values and missing required options, naming the value and the fix", () => {
    expect(() => parseOptions(["--input=a", "--shards=two"], specs)).toThrow(OptionError);
    expect(() => parseOptions(["--input=a", "--shards=two"], specs)).toThrow(/--shards: "two" — must be an integer/);
    expect(() => parseOptions(["--input=a", "--mode=slow"], specs)).toThrow(/must be one of fast, safe/);
    expect(() => parseOptions([], specs)).toThrow(/--input: is required/);
  });

  test("definitions build pipelines from typed options", () => {
    const def = definePipeline({
      options: { n: option.integer("how many", { default: 2 }) },
      build(p, { n }) {
        p.apply(create(Array.from({ length: n }, (_, i) => i)));
      },
    });
    expect(buildPipeline(def, {}).graph().transforms.Create.payload).toEqual({ source: "memory", rows: 2 });
    expect(() => buildPipeline(def, { n: 1.5 })).toThrow(/integer/);
    expect(() => buildPipeline(definePipeline({ build() {} }), {})).toThrow(/applied no transform/);
  });
});

describe("failed construction", () => {
  test("a transform that throws while expanding leaves nothing behind", async () => {
    const { runPipeline, collect } = await import("beamline");
    const p = new Pipeline();
    const x = p.apply(create([1, 2]));
    expect(() =>
      x.apply("Half", (input: PCollection<number>) => {
        input.map((v) => v * 2);
        throw new Error("changed my mind");
      }),
    ).toThrow("changed my mind");
    expect(Object.keys(p.graph().transforms)).toEqual(["Create"]);
    const out = collect(x.apply("Half", (input: PCollection<number>) => input.map((v) => v / 2)));
    await runPipeline(p);
    expect(out.rows).toEqual([0.5, 1]);
  });
});
