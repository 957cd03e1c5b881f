/**
 * Translation of Beamline graphs to Beam's Runner API: standard URNs, Beam's coders (the row coder for
 * schema'd PCollections), window functions and triggers, and one error listing everything a portable
 * runner cannot run.
 */
import {
  afterCount, afterWatermark, buildPipeline, create, fixedWindows, flatten, groupByKey, map, Pipeline, reshuffle, schema, t, testStream, windowInto, writeText,
} from "beamline";
import * as arrow from "apache-arrow";
import { coderFromProto, encodeOne } from "../../../runners/portable/coders/coders";
import { decodeRow, rowCodec } from "../../../runners/portable/coders/rowcoder";
import { arrowToBeamSchema } from "../../../runners/portable/coders/beamschema";
import { beamProtos } from "../../../runners/portable/model/protos";
import { readParts, translate, triggerProto } from "../../../runners/portable/translate";
import { BEAMLINE_DOFN_URN } from "../../../runners/portable/model/payloads";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";
import { encodeRow } from "../../../runners/portable/coders/rowcoder";
import wordcount from "../../../examples/wordcount";
import { describeWith } from "./requirements";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

function translated(p: Pipeline): any {
  const protos = beamProtos();
  // Combines as a runner that lifts them receives them: their GroupByKey expansion (see combine-phases.test.ts for Beamline's lifting).
  const { pipeline } = translate(p.graph(), protos, { environment: ENV, fingerprint: p.fingerprint(), runner: "test", combineLifting: "runner" });
  // What a job service receives must encode as a Runner API Pipeline.
  const decoded = protos.decode("pipeline.Pipeline", protos.encode("pipeline.Pipeline", pipeline));
  return decoded;
}

describeWith(["mvn", "java"], "Runner API translation", () => {
  test("a read: impulse, a split DoFn asking for four parts per worker, Beam's reshuffle spreading the parts, a DoFn reading each part", () => {
    const parallelism = 3;
    const p = buildPipeline(wordcount, {});
    const { pipeline } = translate(p.graph(), beamProtos(), { environment: ENV, fingerprint: p.fingerprint(), runner: "test", parallelism });
    const c = pipeline.components as any;
    expect(c.transforms.Read.subtransforms).toEqual(["Read/Impulse", "Read/Split", "Read/Spread", "Read/Read"]);
    expect(c.transforms["Read/Spread"].spec.urn).toBe("beam:transform:reshuffle:v1");
    expect(c.transforms["Read/Split"].inputs).toEqual({ main: "Read/Impulse.out" });
    expect(c.transforms["Read/Spread"].inputs).toEqual({ main: "Read/Split.out" });
    expect(c.transforms["Read/Read"].inputs).toEqual({ main: "Read/Spread.out" });
    const role = (id: string) => JSON.parse(Buffer.from(beamProtos().decode("pipeline.ParDoPayload", c.transforms[id].spec.payload).doFn.payload).toString());
    expect(role("Read/Split")).toMatchObject({ role: "splitRead", transform: "Read", parts: 12 });
    expect(role("Read/Read")).toMatchObject({ role: "readPart", transform: "Read" });
    expect(readParts(undefined)).toBe(8);
  });

  test("wordcount: impulse + read DoFn, Beamline DoFns, Beam's GroupByKey, and a sink expanded into shard/group/write/gather/commit", () => {
    const p = translated(buildPipeline(wordcount, {}));
    const c = p.components;
    const urns = Object.fromEntries(Object.entries(c.transforms).map(([id, tr]: [string, any]) => [id, tr.spec?.urn ?? ""]));
    expect(urns["Read/Impulse"]).toBe("beam:transform:impulse:v1");
    expect(urns["Read/Split"]).toBe("beam:transform:pardo:v1");
    expect(urns["Read/Read"]).toBe("beam:transform:pardo:v1");
    expect(urns["CountWords/Count/GroupByKey"]).toBe("beam:transform:group_by_key:v1");
    expect(urns["Write/GroupShards"]).toBe("beam:transform:group_by_key:v1");
    expect(urns["Write/Commit"]).toBe("beam:transform:pardo:v1");
    const protos = beamProtos();
    const words = protos.decode("pipeline.ParDoPayload", c.transforms.Words.spec.payload);
    expect(words.doFn.urn).toBe(BEAMLINE_DOFN_URN);
    expect(JSON.parse(Buffer.from(words.doFn.payload).toString())).toMatchObject({ role: "pardo", transform: "Words" });
    // The read's output is a scalar utf8 schema: Beam's string coder (nullable).
    const readCoder = c.coders[c.pcollections["Read.main"].coderId];
    expect(readCoder.spec.urn).toBe("beam:coder:nullable:v1");
    expect(c.coders[readCoder.componentCoderIds[0]].spec.urn).toBe("beam:coder:string_utf8:v1");
    // The GroupByKey's input is KV, its output KV of an iterable.
    const gbkIn = c.coders[c.pcollections["CountWords/Count/KeyBy.main"].coderId];
    expect(gbkIn.spec.urn).toBe("beam:coder:kv:v1");
    const gbkOut = c.coders[c.pcollections["CountWords/Count/GroupByKey.main"].coderId];
    expect(c.coders[gbkOut.componentCoderIds[1]].spec.urn).toBe("beam:coder:iterable:v1");
    expect(c.environments.beamline.urn).toBe("beam:env:external:v1");
    expect(p.rootTransformIds).toEqual(["Read", "Words", "CountWords", "Format", "Write"]);
  });

  test("a reshuffle is Beam's reshuffle composite over an identity DoFn, for runners that do not know the URN", () => {
    const p = new Pipeline();
    p.apply("Nums", create([1, 2, 3])).apply("Spread", reshuffle<number>()).apply("Write", writeText("/tmp/unused"));
    const c = translated(p).components;
    const spread = c.transforms.Spread;
    expect(spread.spec.urn).toBe("beam:transform:reshuffle:v1");
    expect(spread.subtransforms).toEqual(["Spread/Identity"]);
    const identity = c.transforms["Spread/Identity"];
    expect(identity.spec.urn).toBe("beam:transform:pardo:v1");
    expect(identity.inputs).toEqual(spread.inputs);
    expect(identity.outputs).toEqual(spread.outputs);
  });

  test("a Flatten's inputs carry its output's coder: an input with another coder is re-encoded by an identity DoFn first", () => {
    // TestStreamTest.testMultiStage's shape: raw strings (Beam's string coder) flattened with grouped
    // keys (Beamline's value coder). Runners pass a Flatten's input bytes on unchanged, so bytes written
    // with an input's coder are decoded with the output's.
    const p = new Pipeline();
    const raw = p.apply("Raw", create(["before"]));
    const keys = raw
      .apply("KeyBy", map((e: string) => ({ key: e, value: e })))
      .apply("Group", groupByKey<string, string>())
      .apply("Keys", map((g: { key: string }) => g.key));
    flatten([raw, keys]).apply("Write", writeText("/tmp/unused"));
    const c = translated(p).components;
    const protos = beamProtos();
    const flattens = Object.values(c.transforms).filter((tr: any) => tr.spec?.urn === "beam:transform:flatten:v1" && !tr.uniqueName.startsWith("Write/"));
    expect(flattens).toHaveLength(1);
    const leaf = flattens[0] as any;
    const outCoderId = c.pcollections[Object.values(leaf.outputs)[0] as string].coderId;
    const outCoder = coderFromProto(outCoderId, c.coders, protos);
    const [rawIn, keysIn] = ["Raw.main", "Keys.main"].map((pc) => c.pcollections[pc].coderId);
    expect(rawIn).not.toBe(outCoderId);
    for (const pc of Object.values(leaf.inputs) as string[]) {
      const bytes = encodeOne(coderFromProto(c.pcollections[pc].coderId, c.coders, protos), "before");
      expect(outCoder.decode(new ByteReader(bytes), false)).toBe("before");
    }
    // The raw strings reach the Flatten through an identity DoFn that writes them with the output's coder.
    const encode = Object.values(c.transforms).find((tr: any) => tr.inputs?.main === "Raw.main" && Object.values(leaf.inputs).includes(tr.outputs.main)) as any;
    expect(JSON.parse(Buffer.from(protos.decode("pipeline.ParDoPayload", encode.spec.payload).doFn.payload).toString())).toMatchObject({ role: "identity" });
    // The keys already have the output's coder and reach it directly.
    expect(keysIn).toBe(outCoderId);
    expect(Object.values(leaf.inputs)).toContain("Keys.main");
  });

  test("schema'd PCollections travel with the row coder, whose Beam schema round-trips rows", () => {
    const s = schema({ name: t.string(), n: t.int32(), score: t.float64(), tags: t.list(t.string()), at: t.timestamp() });
    const p = new Pipeline();
    p.apply("Rows", create([{ name: "a", n: 1, score: 0.5, tags: ["x"], at: 1000 }], { schema: s })).apply("Write", writeText("/tmp/never"));
    const c = translated(p).components;
    const coder = c.coders[c.pcollections["Rows.main"].coderId];
    expect(coder.spec.urn).toBe("beam:coder:row:v1");
    const beam = beamProtos().decode("pipeline.Schema", coder.spec.payload);
    expect(beam.fields.map((f: any) => f.name)).toEqual(["name", "n", "score", "tags", "at"]);
    const codec = rowCodec(beam);
    const w = new ByteWriter();
    const row = { name: "a", n: -7, score: 0.25, tags: ["x", null], at: 1700000000123 };
    encodeRow(codec, row, w);
    expect(decodeRow(codec, new ByteReader(w.finish()))).toEqual(row);
  });

  test("window functions and triggers become Beam's standard ones", () => {
    const p = new Pipeline();
    p.apply("Nums", create([1, 2]))
      .apply("Win", windowInto(fixedWindows("1m"), { trigger: afterWatermark({ late: afterCount(2) }), allowedLateness: "5m", accumulation: "accumulating" }))
      .apply("Write", writeText("/tmp/never"));
    const c = translated(p).components;
    const ws = c.windowingStrategies[c.pcollections["Win.main"].windowingStrategyId];
    expect(ws.windowFn.urn).toBe("beam:window_fn:fixed_windows:v1");
    expect(beamProtos().decode("pipeline.FixedWindowsPayload", ws.windowFn.payload).size).toEqual({ seconds: 60, nanos: 0 });
    expect(ws.accumulationMode).toBe("ACCUMULATING");
    expect(ws.allowedLateness).toBe(300_000);
    expect(ws.trigger.afterEndOfWindow.lateFirings.elementCount.elementCount).toBe(2);
    expect(c.coders[ws.windowCoderId].spec.urn).toBe("beam:coder:interval_window:v1");
    expect(triggerProto({ kind: "repeatedly", trigger: { kind: "afterCount", count: 3 } })).toEqual({ repeat: { subtrigger: { elementCount: { elementCount: 3 } } } });
  });

  test("windowInto's closing and on-time behaviours reach the WindowingStrategy", () => {
    const p = new Pipeline();
    p.apply("Nums", create([1, 2]))
      .apply("Always", windowInto(fixedWindows("1m"), { closingBehavior: "fireAlways", onTimeBehavior: "fireAlways" }))
      .apply("IfNonEmpty", windowInto(fixedWindows("1m"), { closingBehavior: "fireIfNonEmpty", onTimeBehavior: "fireIfNonEmpty" }))
      .apply("Write", writeText("/tmp/never"));
    const c = translated(p).components;
    const always = c.windowingStrategies[c.pcollections["Always.main"].windowingStrategyId];
    const ifNonEmpty = c.windowingStrategies[c.pcollections["IfNonEmpty.main"].windowingStrategyId];
    expect([always.closingBehavior, always.onTimeBehavior]).toEqual(["EMIT_ALWAYS", "FIRE_ALWAYS"]);
    expect([ifNonEmpty.closingBehavior, ifNonEmpty.onTimeBehavior]).toEqual(["EMIT_IF_NONEMPTY", "FIRE_IF_NONEMPTY"]);
  });

  test("everything a portable runner cannot run is reported at once, before submission", () => {
    const p = new Pipeline();
    p.apply("Script", testStream<number>().addElements(1).advanceWatermarkToInfinity());
    p.apply("Nums", create([1])).apply("Odd", windowInto({ kind: "custom", name: "odd" } as any));
    let error: any = null;
    try {
      translated(p);
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(error.value).toHaveLength(2);
    expect(error.message).toContain("Script");
    expect(error.message).toContain('custom "odd"');
  });

  test("Arrow types without a Beam counterpart fall back to Beamline's value coder", () => {
    const s = new arrow.Schema([new arrow.Field("big", new arrow.Uint64(), true)]);
    expect(arrowToBeamSchema(s, "x")).toBeNull();
  });
});
