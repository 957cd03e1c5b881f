/**
 * TestStreams as Beam's `beam:transform:teststream:v1`: the script read from the TestStream's source,
 * encoded for what each runner decodes (self-delimiting elements for Prism; outer-context elements for
 * Java runners, with Beamline's own value coder sent as bytes), and refusals where a runner cannot run it.
 */
import { Pipeline, taggedTestStream, testStream, timestamped } from "beamline";
import { coderFromProto } from "../../../runners/portable/coders/coders";
import { beamProtos } from "../../../runners/portable/model/protos";
import { translate } from "../../../runners/portable/translate";
import { readTestStreamScripts, TEST_STREAM_URN, testStreamRunOptions } from "../../../runners/portable/translate-teststream";
import { ByteReader } from "../../../runners/portable/coders/wire";
import { describeWith } from "./requirements";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

async function translated(p: Pipeline, runner: string): Promise<any> {
  const protos = beamProtos();
  const testStreams = await readTestStreamScripts(p.graph(), (n) => p.fn(n));
  const { pipeline } = translate(p.graph(), protos, { environment: ENV, fingerprint: p.fingerprint(), runner, testStreams });
  return protos.decode("pipeline.Pipeline", protos.encode("pipeline.Pipeline", pipeline));
}

function payloadOf(p: any, name: string): any {
  const t = p.components.transforms[name];
  expect(t.spec.urn).toBe(TEST_STREAM_URN);
  expect(t.environmentId).toBe("");
  return beamProtos().decode("pipeline.TestStreamPayload", t.spec.payload);
}

describeWith(["mvn", "java"], "TestStream translation", () => {
  test("the script is read from the source: elements with timestamps, watermarks, processing-time advances as durations", async () => {
    const p = new Pipeline();
    p.apply("S", testStream<string>().advanceWatermarkTo(5).addElements(timestamped("a", 7), "b").advanceProcessingTime("2s").advanceProcessingTime(500).advanceWatermarkTo(100));
    const scripts = await readTestStreamScripts(p.graph(), (n) => p.fn(n));
    expect(scripts.S).toEqual([
      { kind: "watermark", tag: "main", to: 5 },
      { kind: "elements", tag: "main", rows: ["a", "b"], timestamps: [7, 5] },
      { kind: "processingTime", advanceBy: 2000 },
      { kind: "processingTime", advanceBy: 500 },
      { kind: "watermark", tag: "main", to: 100 },
      { kind: "watermark", tag: "main", to: 9223372036854775 },
    ]);
  });

  test("Prism: events in order, elements self-delimiting with the PCollection's coder, the watermark ending at Beam's maximum", async () => {
    const p = new Pipeline();
    p.apply("S", testStream<string>().advanceWatermarkTo(5).addElements(timestamped("hello", 7)).advanceProcessingTime("1s").advanceWatermarkTo(100));
    const pipeline = await translated(p, "prism");
    const payload = payloadOf(pipeline, "S");
    expect(payload.coderId).toBe(pipeline.components.pcollections["S.main"].coderId);
    expect(payload.events.map((e: any) => e.event)).toEqual(["watermarkEvent", "elementEvent", "processingTimeEvent", "watermarkEvent", "watermarkEvent"]);
    expect(payload.events[0].watermarkEvent.newWatermark).toBe(5);
    expect(payload.events[2].processingTimeEvent.advanceDuration).toBe(1000);
    expect(payload.events[3].watermarkEvent.newWatermark).toBe(100);
    const el = payload.events[1].elementEvent.elements[0];
    expect(el.timestamp).toBe(7);
    const coder = coderFromProto(payload.coderId, pipeline.components.coders, beamProtos());
    const r = new ByteReader(Buffer.from(el.encodedElement));
    expect(coder.decode(r, true)).toBe("hello");
    expect(r.done).toBe(true);
    // Beamline's TestStreams end with the watermark at infinity: the script says so, exactly.
    const t = beamProtos().type("pipeline.TestStreamPayload");
    const raw = t.toObject(t.decode(pipeline.components.transforms.S.spec.payload), { longs: String });
    expect(raw.events.at(-1).watermarkEvent.newWatermark).toBe("9223372036854775");
    expect(pipeline.components.pcollections["S.main"].isBounded).toBe("UNBOUNDED");
  });

  test("Flink: outer-context elements, Beamline's value coder sent as bytes, processing time refused in the one error", async () => {
    const rows = new Pipeline();
    rows.apply("S", testStream<{ n: bigint }>().addElements(timestamped({ n: 3n }, 1)));
    const pipeline = await translated(rows, "flink");
    const payload = payloadOf(pipeline, "S");
    const pcCoder = pipeline.components.coders[pipeline.components.pcollections["S.main"].coderId];
    const sent = pipeline.components.coders[payload.coderId];
    if (pcCoder.spec.urn === "beamline:coder:value:v1") {
      expect(sent.spec.urn).toBe("beam:coder:bytes:v1");
    } else {
      expect(payload.coderId).toBe(pipeline.components.pcollections["S.main"].coderId);
    }
    const strings = new Pipeline();
    strings.apply("S", testStream<string>().addElements("xy"));
    const sp = payloadOf(await translated(strings, "flink"), "S");
    // Outer context: the nullable coder's presence byte, then the string's bytes without a length prefix.
    expect([...sp.events[0].elementEvent.elements[0].encodedElement]).toEqual([1, ...Buffer.from("xy")]);

    const ticking = new Pipeline();
    ticking.apply("Clock", testStream<string>().addElements("a").advanceProcessingTime("1m"));
    const e = await translated(ticking, "flink").then(() => null, (x: unknown) => x as Error & { code?: string; value?: string[] });
    expect(e?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.value).toEqual([expect.stringContaining("Clock: TestStream advancing processing time")]);
    // Dataflow takes no TestStream at all.
    const d = await translated(strings, "dataflow").then(() => null, (x: unknown) => x as Error & { value?: string[] });
    expect(d!.value).toEqual([expect.stringContaining("Dataflow does not run TestStreams")]);
  });

  // Python Beam's test_stream_test.py, test_roundtrip_proto_multi: tagged events keep their tags.
  test("a tagged TestStream: events name their output, each output's watermark apart, each ending at infinity", async () => {
    const p = new Pipeline();
    p.apply(
      "S",
      taggedTestStream<{ a: number; b: number }>(["a", "b"])
        .advanceProcessingTime(1)
        .advanceWatermarkTo("a", 2)
        .advanceWatermarkTo("b", 3)
        .addElements("a", 1, 2, 3)
        .addElements("b", 4, 5, 6),
    );
    const scripts = await readTestStreamScripts(p.graph(), (n) => p.fn(n));
    expect(scripts.S).toEqual([
      { kind: "processingTime", advanceBy: 1 },
      { kind: "watermark", tag: "a", to: 2 },
      { kind: "watermark", tag: "b", to: 3 },
      { kind: "elements", tag: "a", rows: [1, 2, 3], timestamps: [2, 2, 2] },
      { kind: "elements", tag: "b", rows: [4, 5, 6], timestamps: [3, 3, 3] },
      { kind: "watermark", tag: "a", to: 9223372036854775 },
      { kind: "watermark", tag: "b", to: 9223372036854775 },
    ]);
    const pipeline = await translated(p, "prism");
    const payload = payloadOf(pipeline, "S");
    expect(pipeline.components.transforms.S.outputs).toEqual({ a: "S.a", b: "S.b" });
    expect(payload.events.map((e: any) => `${e.event}:${(e.watermarkEvent ?? e.elementEvent)?.tag ?? ""}`)).toEqual([
      "processingTimeEvent:",
      "watermarkEvent:a",
      "watermarkEvent:b",
      "elementEvent:a",
      "elementEvent:b",
      "watermarkEvent:a",
      "watermarkEvent:b",
    ]);
  });

  test("several TestStreams in one pipeline are refused on Prism, saying why; tagged outputs on Flink", async () => {
    const two = new Pipeline();
    two.apply("First", testStream<string>().addElements("a"));
    two.apply("Second", testStream<string>().addElements("b"));
    const e = await translated(two, "prism").then(() => null, (x: unknown) => x as Error & { code?: string; value?: string[] });
    expect(e?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.value).toEqual([expect.stringContaining("First: several TestStreams in one pipeline (Prism's element manager holds a single TestStream handler"), expect.stringContaining("Second: several TestStreams")]);
    const mixed = new Pipeline();
    mixed.apply("S", taggedTestStream<{ words: string; counts: { n: number } }>(["words", "counts"]).addElements("words", "x").addElements("counts", { n: 1 }));
    const f = await translated(mixed, "flink").then(() => null, (x: unknown) => x as Error & { value?: string[] });
    expect(f!.value).toEqual([expect.stringContaining("S: TestStream with 2 tagged outputs (Beam's Flink runner translates a TestStream with one output only")]);
    await expect(translated(mixed, "prism")).resolves.toBeDefined();
  });

  test("TestStream pipelines run in streaming mode; on Flink one element per bundle at parallelism 1", () => {
    expect(testStreamRunOptions("flink", {})).toEqual({});
    expect(testStreamRunOptions("prism", { S: [] })).toEqual({ streaming: true });
    expect(testStreamRunOptions("flink", { S: [] })).toEqual({ streaming: true, max_bundle_size: 1, parallelism: 1 });
  });
});
