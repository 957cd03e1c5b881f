/**
 * The Beamline DoFns around Dataflow's native Pub/Sub transforms, run by Beamline's SDK harness as
 * Dataflow runs them: the bundle descriptor is made of the transforms of the staged pipeline proto, fed
 * and drained through a data channel with the proto's own coders. The parse turns the native read's
 * message data into the read's rows and dead letters (the direct runner's parse); the encoding turns
 * rows into PubsubMessage bytes, decoded here with Pub/Sub's own published proto.
 */
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { buildPipeline, GLOBAL_WINDOW, type Pipeline } from "beamline";
import { coderFromProto, CODER_URNS, type CoderProto } from "../../../runners/portable/coders/coders";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";
import { BundleProcessor } from "../../../runners/portable/harness/bundle";
import { beamProtos, type Protos } from "../../../runners/portable/model/protos";
import { dataflowSettings } from "../../../runners/dataflow/options";
import { prepareDataflowPipeline, streamingWhenUnbounded } from "../../../runners/dataflow/runner";
import pubsub from "./fixtures/pubsub";

const FILE = path.join(__dirname, "fixtures", "pubsub.ts");
const PANE = { timing: "unknown", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 };

/** Pub/Sub's PubsubMessage, from the proto @google-cloud/pubsub ships (not Beamline's encoder's definition). */
const PUBSUB_MESSAGE = protobuf.Root.fromJSON(require("@google-cloud/pubsub/build/protos/protos.json")).lookupType("google.pubsub.v1.PubsubMessage");

/** A data channel in memory: sends `input` to the bundle's source and keeps what its sinks write. */
class MemoryData {
  readonly written = new Map<string, Buffer[]>();
  constructor(private readonly input: Buffer) {}
  register(_instruction: string, _transform: string, receive: (data: Buffer, isLast: boolean) => void): void {
    setImmediate(() => {
      receive(this.input, false);
      receive(Buffer.alloc(0), true);
    });
  }
  unregister(): void {}
  writer(_instruction: string, transform: string) {
    const out: Buffer[] = [];
    this.written.set(transform, out);
    return { write: (b: Buffer) => out.push(Buffer.from(b)), flush: () => {} };
  }
}

interface Element {
  value: unknown;
  timestamp: number;
}

/** Runs transform `id` of `pipeline`'s Dataflow proto over `elements` of its input; returns what each output got. */
async function runTransform(pipeline: Pipeline, values: Record<string, unknown>, id: string, elements: Element[]): Promise<Record<string, Element[]>> {
  const protos: Protos = beamProtos();
  const s = streamingWhenUnbounded(pipeline, dataflowSettings({ project: "beamline-fixture", region: "us-central1", tempLocation: "gs://beamline-fixture/tmp", streaming: true }, { jobBase: "pubsub", version: "0.1.0" }));
  const { bytes } = await prepareDataflowPipeline(pipeline, s, { file: FILE, options: values });
  const c = protos.decode("pipeline.Pipeline", bytes).components;
  const coders: Record<string, CoderProto> = { ...c.coders };
  const wv = (pc: string) => {
    const coderId = `wv_${pc}`;
    coders[coderId] = { spec: { urn: CODER_URNS.windowedValue }, componentCoderIds: [c.pcollections[pc].coderId, c.windowingStrategies[c.pcollections[pc].windowingStrategyId].windowCoderId] };
    return coderId;
  };
  const port = (pc: string) => protos.encode("fn.RemoteGrpcPort", { apiServiceDescriptor: { url: "memory" }, coderId: wv(pc) });
  const t = c.transforms[id];
  const input = Object.values(t.inputs)[0] as string;
  const transforms: Record<string, unknown> = { [id]: t, source: { uniqueName: "source", spec: { urn: "beam:runner:source:v1", payload: port(input) }, inputs: {}, outputs: { out: input } } };
  for (const [tag, pc] of Object.entries(t.outputs as Record<string, string>)) transforms[`sink_${tag}`] = { uniqueName: `sink_${tag}`, spec: { urn: "beam:runner:sink:v1", payload: port(pc) }, inputs: { in: pc }, outputs: {} };
  const w = new ByteWriter();
  const inCoder = coderFromProto(wv(input), coders, protos);
  for (const e of elements) inCoder.encode({ ...e, windows: [GLOBAL_WINDOW], pane: PANE }, w, true);
  const data = new MemoryData(w.finish());
  const runtime = { graph: pipeline.graph(), fingerprint: pipeline.fingerprint(), fn: <T>(n: string) => pipeline.fn(n) as T };
  const descriptor = { id: "d", transforms, pcollections: c.pcollections, windowingStrategies: c.windowingStrategies, coders };
  await new BundleProcessor(descriptor, protos, runtime, { data: () => data as any, state: () => { throw new Error("no state in this test"); } }).process("i1");
  const out: Record<string, Element[]> = {};
  for (const [tag, pc] of Object.entries(t.outputs as Record<string, string>)) {
    const coder = coderFromProto(wv(pc), coders, protos);
    const r = new ByteReader(Buffer.concat(data.written.get(`sink_${tag}`) ?? []));
    out[tag] = [];
    while (!r.done) {
      const v = coder.decode(r, true) as Element;
      out[tag].push({ value: v.value, timestamp: v.timestamp });
    }
  }
  return out;
}

describe("the Beamline DoFns around Dataflow's native Pub/Sub transforms, in Beamline's harness", () => {
  test("the parse turns message data into the read's JSON rows at the times Dataflow gave, and bad data into dead letters", async () => {
    const values = { json: true };
    const out = await runTransform(buildPipeline(pubsub, values), values, "ReadClicks/Parse", [
      { value: Buffer.from('{"user":"ann","page":"/home"}'), timestamp: 1_000 },
      { value: Buffer.from("not json"), timestamp: 2_000 },
      { value: Buffer.from('{"user":"bob","page":"/cart"}'), timestamp: 3_000 },
    ]);
    expect(out.main).toEqual([
      { value: { user: "ann", page: "/home" }, timestamp: 1_000 },
      { value: { user: "bob", page: "/cart" }, timestamp: 3_000 },
    ]);
    expect(out.deadLetter).toHaveLength(1);
    const letter = out.deadLetter[0].value as Record<string, unknown>;
    expect(letter).toMatchObject({ transform: "ReadClicks", errorName: "IOError", element: JSON.stringify("not json"), topic: "projects/beamline-fixture/subscriptions/clicks" });
    expect(letter.message).toMatch(/^the message cannot be read: its data is not valid JSON/);
    expect(out.deadLetter[0].timestamp).toBe(2_000);
    // The dead letters are published to a topic of their own (a streaming job on Dataflow writes no files):
    // each becomes a PubsubMessage whose data is the letter as JSON (its raw bytes in base64), at the letter's time.
    const published = await runTransform(buildPipeline(pubsub, values), values, "KeepLetters/Encode", out.deadLetter);
    expect(published.main).toHaveLength(1);
    expect(published.main[0].timestamp).toBe(2_000);
    const message = PUBSUB_MESSAGE.toObject(PUBSUB_MESSAGE.decode(published.main[0].value as Uint8Array));
    expect(JSON.parse(Buffer.from(message.data).toString("utf8"))).toEqual({ ...letter, raw: Buffer.from("not json").toString("base64") });
  }, 60_000);

  test("without deadLetter, a message that cannot be read fails the bundle with the read's error", async () => {
    const { definePipeline, readPubSub, schema, t } = await import("beamline");
    const strict = definePipeline({
      options: {},
      build(p) {
        p.apply("Strict", readPubSub({ subscription: "projects/beamline-fixture/subscriptions/clicks", format: "json", schema: schema({ n: t.float64() }) }));
      },
    });
    const e = await runTransform(buildPipeline(strict, {}), {}, "Strict/Parse", [{ value: Buffer.from("{"), timestamp: 0 }]).then(() => null, (x: unknown) => x as { code?: string; message: string });
    expect(e?.code).toBe("BL_PUBSUB_BAD_MESSAGE");
    expect(e?.message).toContain("its data is not valid JSON");
    expect(e?.message).toContain("pass { deadLetter: true }");
  }, 60_000);

  test("the encoding makes each row a PubsubMessage: strings as their bytes, JSON rows as JSON, attributes from the row", async () => {
    const upper = await runTransform(buildPipeline(pubsub, {}), {}, "WriteClicks/Encode", [{ value: "HELLO", timestamp: 5_000 }]);
    const [m] = upper.main;
    expect(m.timestamp).toBe(5_000);
    expect(PUBSUB_MESSAGE.toObject(PUBSUB_MESSAGE.decode(m.value as Uint8Array), { bytes: String })).toEqual({ data: Buffer.from("HELLO").toString("base64") });
    const values = { json: true };
    const json = await runTransform(buildPipeline(pubsub, values), values, "WriteClicks/Encode", [{ value: { user: "ann", page: "/home" }, timestamp: 7_000 }]);
    const decoded = PUBSUB_MESSAGE.toObject(PUBSUB_MESSAGE.decode(json.main[0].value as Uint8Array));
    expect(JSON.parse(Buffer.from(decoded.data).toString("utf8"))).toEqual({ user: "ann", page: "/home" });
    expect(decoded.attributes).toEqual({ page: "/home" });
  }, 60_000);
});
