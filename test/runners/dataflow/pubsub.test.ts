/**
 * Pub/Sub on Dataflow: the staged pipeline proto's native Pub/Sub transforms and the streaming job
 * request, field by field against what Beam Python 2.78's DataflowRunner stages and writes for the same
 * pipeline (fixtures/beam-python-pubsub-*.json, made offline by capture-beam-python-pubsub-job.py),
 * with the differences that must exist; streaming inferred from the unbounded read as Beam does;
 * everything the native transforms cannot express refused in the one error, before anything is staged;
 * and file sinks of the unbounded read refused the same way (a streaming job never commits them).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, runPipeline, UnsupportedFeatureError } from "beamline";
import { main } from "../../../runners/cli";
import { BEAMLINE_DOFN_URN } from "../../../runners/portable/model/payloads";
import { beamProtos } from "../../../runners/portable/model/protos";
import { prepareDataflowPipeline, streamingWhenUnbounded } from "../../../runners/dataflow/runner";
import { dataflowSettings } from "../../../runners/dataflow/options";
import { PUBSUB_READ_URN, PUBSUB_WRITE_URN } from "../../../runners/dataflow/pubsub-translation";
import pubsub from "./fixtures/pubsub";
import { tempDir } from "../../helpers";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8"));
const PYTHON_JOB = fixture("beam-python-pubsub-job.json");
const PYTHON_PIPELINE = fixture("beam-python-pubsub-pipeline.json");
const FILE = path.join(__dirname, "fixtures", "pubsub.ts");
const dir = tempDir("beamline-dataflow-pubsub-");

/** The options the fixture was captured with, as Beamline's. */
const SAME_OPTIONS = {
  project: "beamline-fixture",
  region: "us-central1",
  tempLocation: "gs://beamline-fixture/tmp",
  jobName: "pubsub-fixture",
  sdkContainerImage: "us-central1-docker.pkg.dev/beamline-fixture/beamline/beamline-sdk:0.1.0",
};

/** The staged pipeline proto Beamline makes for the fixture pipeline with `values`. */
async function stagedProto(values: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<any> {
  const pipeline = buildPipeline(pubsub, values);
  const s = streamingWhenUnbounded(pipeline, dataflowSettings({ ...SAME_OPTIONS, ...extra }, { jobBase: "pubsub", version: "0.1.0" }));
  const { bytes } = await prepareDataflowPipeline(pipeline, s, { file: FILE, options: values });
  return beamProtos().decode("pipeline.Pipeline", bytes);
}

async function jobRequest(values: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<any> {
  const file = path.join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  const r = await runPipeline(buildPipeline(pubsub, values), { runner: "dataflow", ...SAME_OPTIONS, ...extra, dataflowJobFile: file, definition: { file: FILE, options: values } });
  expect(r.state).toBe("WRITTEN");
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function byUrn(transforms: Record<string, any>, urn: string): any[] {
  return Object.values(transforms).filter((t) => (t.spec?.urn ?? t.urn) === urn);
}

/** The transforms of `proto` reading `pc` and writing it. */
function neighbours(proto: any, pcs: string[]): any[] {
  return Object.values(proto.components.transforms as Record<string, any>).filter((t) => t.spec?.urn && pcs.some((pc) => Object.values(t.inputs).includes(pc) || Object.values(t.outputs).includes(pc)));
}

function beamlineRole(t: any): string {
  const p = beamProtos().decode("pipeline.ParDoPayload", t.spec.payload);
  expect(p.doFn.urn).toBe(BEAMLINE_DOFN_URN);
  return JSON.parse(Buffer.from(p.doFn.payload).toString("utf8")).role;
}

describe("Pub/Sub on Dataflow, against Beam Python's native transforms", () => {
  let proto: any;
  beforeAll(async () => {
    proto = await stagedProto();
  }, 60_000);
  const py = (urn: string) => {
    const [t] = byUrn(PYTHON_PIPELINE.transforms, urn);
    return t;
  };

  test("the read is Beam's pubsub_read with the same payload: subscription, timestamp and id attributes, data only", () => {
    const [ours] = byUrn(proto.components.transforms, PUBSUB_READ_URN);
    const theirs = py(PUBSUB_READ_URN);
    expect(ours.spec.urn).toBe(theirs.urn);
    const payload = beamProtos().decode("pipeline.PubSubReadPayload", ours.spec.payload);
    // Python's fixture leaves out fields at their defaults (an empty topic, with_attributes false).
    expect(payload).toMatchObject({ topic: "", withAttributes: false, ...theirs.payload });
    expect(theirs.payload).toEqual({ subscription: "projects/beamline-fixture/subscriptions/clicks", timestampAttribute: "ts", idAttribute: "id" });
    expect(ours.inputs).toEqual({});
    // Both name the SDK's environment (Dataflow runs the URN itself whatever it names); the ids are each SDK's own.
    expect(ours.environmentId).toBe("beamline");
    expect(theirs.environmentId).toMatch(/default_environment/);
  });

  test("the read's output: bytes (the messages' data), unbounded, in the global window, as Python's", () => {
    const [ours] = byUrn(proto.components.transforms, PUBSUB_READ_URN);
    const theirs = py(PUBSUB_READ_URN);
    const [ourOut, theirOut] = [Object.values(ours.outputs)[0] as string, Object.values(theirs.outputs)[0] as string];
    // Difference: the output's tag: Python's is "None", Beamline's "main" (runners take a primitive's one output whatever its tag).
    expect(Object.keys(theirs.outputs)).toEqual(["None"]);
    expect(Object.keys(ours.outputs)).toEqual(["main"]);
    const [pc, tpc] = [proto.components.pcollections[ourOut], PYTHON_PIPELINE.pcollections[theirOut]];
    expect(pc.isBounded).toBe(tpc.isBounded);
    expect(proto.components.coders[pc.coderId].spec.urn).toBe(PYTHON_PIPELINE.coders[tpc.coderId].urn);
    const [ws, tws] = [proto.components.windowingStrategies[pc.windowingStrategyId], PYTHON_PIPELINE.windowingStrategies[tpc.windowingStrategyId]];
    expect(ws.windowFn.urn).toBe(tws.windowFn);
    expect(proto.components.coders[ws.windowCoderId].spec.urn).toBe(PYTHON_PIPELINE.coders[tws.windowCoderId].urn);
    // What reads the messages: an SDK DoFn in both. Difference: Python's counts them and passes the bytes
    // on; Beamline's parses them into the read's rows (and dead letters) with the direct runner's parse.
    const readers = neighbours(proto, [ourOut]).filter((t) => t !== ours);
    expect(readers.map((t) => t.spec.urn)).toEqual(theirs.neighbours.map((n: { urn: string }) => n.urn));
    expect(readers.map(beamlineRole)).toEqual(["parseMessages"]);
    expect(readers[0].outputs).toEqual({ main: expect.any(String) });
    // The rows leave the parse as the read's strings (a nullable string column).
    const rowsCoder = proto.components.coders[proto.components.pcollections[readers[0].outputs.main].coderId];
    expect([rowsCoder.spec.urn, proto.components.coders[rowsCoder.componentCoderIds[0]].spec.urn]).toEqual(["beam:coder:nullable:v1", "beam:coder:string_utf8:v1"]);
  });

  test("the write is Beam's pubsub_write with the same payload, fed PubsubMessage bytes by an SDK DoFn, with no output", () => {
    const [ours] = byUrn(proto.components.transforms, PUBSUB_WRITE_URN);
    const theirs = py(PUBSUB_WRITE_URN);
    expect(ours.spec.urn).toBe(theirs.urn);
    const payload = beamProtos().decode("pipeline.PubSubWritePayload", ours.spec.payload);
    expect(payload).toMatchObject({ timestampAttribute: "", idAttribute: "", ...theirs.payload });
    expect(theirs.payload).toEqual({ topic: "projects/beamline-fixture/topics/upper" });
    expect(ours.outputs).toEqual({});
    expect(theirs.outputs).toEqual({});
    const [input, theirInput] = [Object.values(ours.inputs)[0] as string, Object.values(theirs.inputs)[0] as string];
    const [pc, tpc] = [proto.components.pcollections[input], PYTHON_PIPELINE.pcollections[theirInput]];
    expect(pc.isBounded).toBe(tpc.isBounded);
    expect(proto.components.coders[pc.coderId].spec.urn).toBe(PYTHON_PIPELINE.coders[tpc.coderId].urn);
    // What feeds it: an SDK DoFn making PubsubMessage bytes in both (Python's ToProtobufY, Beamline's encodeMessages).
    const writers = neighbours(proto, [input]).filter((t) => t !== ours);
    expect(writers.map((t) => t.spec.urn)).toEqual(theirs.neighbours.map((n: { urn: string }) => n.urn));
    expect(writers.map(beamlineRole)).toEqual(["encodeMessages"]);
    // The graph's list of written files has no producer on Dataflow: it is left out of the proto.
    expect(Object.keys(proto.components.pcollections).filter((id) => id.startsWith("WriteClicks"))).toEqual(["WriteClicks/Encode.out"]);
    expect(proto.components.transforms.WriteClicks).toMatchObject({ subtransforms: ["WriteClicks/Encode", "WriteClicks/Write"], outputs: {} });
  });

  test("nothing else in the pipeline is Pub/Sub's: one read and one write, as Python's", () => {
    for (const urn of [PUBSUB_READ_URN, PUBSUB_WRITE_URN]) expect(byUrn(proto.components.transforms, urn)).toHaveLength(byUrn(PYTHON_PIPELINE.transforms, urn).length);
    expect(proto.requirements).toEqual(PYTHON_PIPELINE.requirements);
  });

  test("JSON rows with dead letters: the parse DoFn has both outputs, the dead letters are published natively; attributes are set by the encoding, not the payload", async () => {
    const json = await stagedProto({ json: true });
    const parse = json.components.transforms["ReadClicks/Parse"];
    expect(Object.keys(parse.outputs).sort()).toEqual(["deadLetter", "main"]);
    expect(json.components.coders[json.components.pcollections[parse.outputs.main].coderId].spec.urn).toBe("beam:coder:row:v1");
    const [read] = byUrn(json.components.transforms, PUBSUB_READ_URN);
    expect(beamProtos().decode("pipeline.PubSubReadPayload", read.spec.payload)).toMatchObject({ subscription: "projects/beamline-fixture/subscriptions/clicks", timestampAttribute: "", idAttribute: "id", withAttributes: false });
    const topic = (id: string) => beamProtos().decode("pipeline.PubSubWritePayload", json.components.transforms[id].spec.payload).topic;
    expect(byUrn(json.components.transforms, PUBSUB_WRITE_URN).map((t) => t.uniqueName).sort()).toEqual(["KeepLetters/Write", "WriteClicks/Write"]);
    expect(topic("WriteClicks/Write")).toBe("projects/beamline-fixture/topics/upper");
    // The dead letters go to a topic of their own, encoded from the parse's dead-letter output: files
    // written from an unbounded read are refused on Dataflow (see the last describe).
    expect(topic("KeepLetters/Write")).toBe("projects/beamline-fixture/topics/letters");
    expect(json.components.transforms["KeepLetters/Encode"].inputs).toEqual({ main: parse.outputs.deadLetter });
  }, 60_000);
});

test("a read of a topic names the topic and no subscription: Dataflow pulls a subscription of its own on it", async () => {
  const { definePipeline, readPubSub, writePubSub } = await import("beamline");
  const topicRead = definePipeline({
    options: {},
    build(p) {
      p.apply("Topic", readPubSub({ topic: "projects/beamline-fixture/topics/clicks", format: "bytes" })).apply("Keep", writePubSub({ topic: "projects/beamline-fixture/topics/kept" }));
    },
  });
  const pipeline = buildPipeline(topicRead, {});
  const s = streamingWhenUnbounded(pipeline, dataflowSettings(SAME_OPTIONS, { jobBase: "topic", version: "0.1.0" }));
  const proto = beamProtos().decode("pipeline.Pipeline", (await prepareDataflowPipeline(pipeline, s, { file: FILE, options: {} })).bytes);
  const [read] = byUrn(proto.components.transforms, PUBSUB_READ_URN);
  expect(beamProtos().decode("pipeline.PubSubReadPayload", read.spec.payload)).toMatchObject({ topic: "projects/beamline-fixture/topics/clicks", subscription: "", withAttributes: false });
}, 60_000);

describe("the streaming job of a Pub/Sub pipeline, against Beam Python's", () => {
  let ours: any;
  beforeAll(async () => {
    ours = await jobRequest({}, { streaming: true });
  }, 60_000);

  test("the streaming type, environment version, Streaming Engine's experiments, data disk and option, as Python's", () => {
    const [e, p] = [ours.environment, PYTHON_JOB.environment];
    expect(ours.type).toBe(PYTHON_JOB.type);
    expect(e.version).toEqual(p.version);
    // Difference: the order of the experiments (Python adds Streaming Engine's before use_multiple_sdk_containers); the set is the same.
    expect([...e.experiments].sort()).toEqual([...p.experiments].sort());
    expect(e.workerPools[0].dataDisks).toEqual(p.workerPools[0].dataDisks);
    expect(e.workerPools[0].workerHarnessContainerImage).toBe(p.workerPools[0].workerHarnessContainerImage);
    for (const name of ["streaming", "experiments", "job_name", "project", "region"]) {
      const [o, q] = [e.sdkPipelineOptions.options[name], p.sdkPipelineOptions.options[name]];
      expect([name, Array.isArray(o) ? [...o].sort() : o]).toEqual([name, Array.isArray(q) ? [...q].sort() : q]);
    }
  });

  test("without --streaming the job streams all the same: the unbounded read makes it a streaming job, as Beam infers it", async () => {
    const batch = await jobRequest();
    expect(batch.type).toBe("JOB_TYPE_STREAMING");
    expect(batch.environment.version.job_type).toBe("FNAPI_STREAMING");
    expect(batch.environment.sdkPipelineOptions.options.streaming).toBe(true);
    expect(batch.environment.experiments).toEqual(ours.environment.experiments);
  }, 60_000);
});

describe("Pub/Sub that Dataflow's native transforms cannot express", () => {
  test("is refused in the one error, each usage with its reason and fix, before anything is written", async () => {
    const file = path.join(dir, "refused.json");
    const e = await runPipeline(buildPipeline(pubsub, { refused: true }), { runner: "dataflow", ...SAME_OPTIONS, dataflowJobFile: file, definition: { file: FILE, options: { refused: true } } }).then(
      () => null,
      (x: unknown) => x as UnsupportedFeatureError,
    );
    expect(e).toBeInstanceOf(UnsupportedFeatureError);
    expect(e!.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.value).toEqual([
      expect.stringMatching(/^Bounded: readPubSub maxMessages: .*unbounded.*remove maxMessages/),
      expect.stringMatching(/^Bounded: readPubSub maxOutOfOrderness: .*watermark.*remove maxOutOfOrderness$/),
      expect.stringMatching(/^Bounded: readPubSub ackDeadlineSeconds: .*remove ackDeadlineSeconds$/),
      expect.stringMatching(/^WriteBounded: writePubSub orderingKey: .*remove orderingKey/),
      expect.stringMatching(/^Timed: readPubSub deadLetter with timestampAttribute: .*drop one of the two/),
      expect.stringMatching(/^Publish: the output of writePubSub is read by Listed: .*no output/),
    ]);
    expect(fs.existsSync(file)).toBe(false);
  }, 60_000);

  test("a Pub/Sub write in a batch job is refused with the fix --streaming; with --streaming it publishes natively", async () => {
    const { definePipeline, create, writePubSub } = await import("beamline");
    const batchWrite = definePipeline({
      options: {},
      build(p) {
        p.apply("Words", create(["a", "b"])).apply("Publish", writePubSub({ topic: "projects/beamline-fixture/topics/words" }));
      },
    });
    const run = (streaming: boolean) =>
      runPipeline(buildPipeline(batchWrite, {}), { runner: "dataflow", ...SAME_OPTIONS, streaming, dataflowJobFile: path.join(dir, `batch-${streaming}.json`), definition: { file: FILE, options: {} } });
    const e = await run(false).then(() => null, (x: unknown) => x as UnsupportedFeatureError);
    expect(e?.value).toEqual([expect.stringMatching(/^Publish: writePubSub in a batch job: .*pass --streaming$/)]);
    const r = await run(true);
    expect(r.request.type).toBe("JOB_TYPE_STREAMING");
  }, 60_000);
});

describe("file sinks of an unbounded Pub/Sub read on Dataflow", () => {
  test("beamline run --runner=dataflow refuses each one, naming the sink, the rule and the fix, before anything is staged or written", async () => {
    const file = path.join(dir, "files.json");
    const err: string[] = [];
    const code = await main(["run", FILE, "--runner=dataflow", "--project=beamline-fixture", "--region=us-central1", "--temp-location=gs://beamline-fixture/tmp", "--files", `--dataflow-job-file=${file}`], { out: () => {}, err: (t) => err.push(t) });
    const text = err.join("\n");
    expect(code).toBe(1);
    expect(text).toContain("error [BL_PORTABLE_UNSUPPORTED]");
    expect(text).toContain("the dataflow runner cannot execute 3 part(s)");
    const rule = "a transactional sink of an unbounded input: on the dataflow runner a sink's output is committed once its input ends, which an unbounded input never does, so nothing would ever be written";
    const fix = "publish the rows with writePubSub (Dataflow's native Pub/Sub write), or run it on the direct runner";
    for (const [transform, sink] of [["ClickFiles", "writeCsv"], ["LetterFiles", "writeJsonLines"], ["LineFiles", "writeText"]]) {
      expect(text).toContain(`${transform}: ${sink} (a file sink) — ${rule} — ${fix}`);
    }
    // The reads themselves are fine on Dataflow: only the sinks are refused.
    expect(text).not.toMatch(/Read(Clicks|Lines):/);
    // Nothing was staged or written: the job file comes after translation, staging after the job file.
    expect(fs.existsSync(file)).toBe(false);
  }, 60_000);

  test("examples/pubsub-clicks.ts is refused as it stands, for the three reasons README's Dataflow section names", async () => {
    const clicks = path.resolve(__dirname, "../../../examples/pubsub-clicks.ts");
    const file = path.join(dir, "clicks.json");
    const err: string[] = [];
    const code = await main(["run", clicks, "--runner=dataflow", "--project=beamline-fixture", "--region=us-central1", "--temp-location=gs://beamline-fixture/tmp", `--dataflow-job-file=${file}`], { out: () => {}, err: (t) => err.push(t) });
    const text = err.join("\n");
    expect(code).toBe(1);
    expect(text).toContain("the dataflow runner cannot execute 3 part(s)");
    expect(text).toMatch(/ReadClicks: readPubSub maxOutOfOrderness: /);
    expect(text).toMatch(/ReadClicks: readPubSub deadLetter with timestampAttribute: /);
    expect(text).toMatch(/WriteDeadLetters: writeJsonLines \(a file sink\) — a transactional sink of an unbounded input: .* — publish the rows with writePubSub/);
    expect(fs.existsSync(file)).toBe(false);
    const readme = fs.readFileSync(path.resolve(__dirname, "../../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Google Cloud Dataflow"), readme.indexOf("### Reading Kafka")).replace(/\s+/g, " ");
    expect(section).toContain("`examples/pubsub-clicks.ts` is written for the local runners and is refused on Dataflow as it stands: to run it there, drop `maxOutOfOrderness` and `timestampAttribute`");
  }, 60_000);

  test("the refusal is of files fed by the unbounded read: the same sinks of a bounded input are translated", async () => {
    const { definePipeline, create, map, writeCsv, writeText } = await import("beamline");
    const bounded = definePipeline({
      options: {},
      build(p) {
        const words = p.apply("Words", create(["a", "b"]));
        words.apply("LineFiles", writeText("gs://beamline-fixture/lines"));
        words.apply("Rows", map((w: string) => ({ word: w }))).apply("RowFiles", writeCsv("gs://beamline-fixture/rows"));
      },
    });
    const r = await runPipeline(buildPipeline(bounded, {}), { runner: "dataflow", ...SAME_OPTIONS, dataflowJobFile: path.join(dir, "bounded-files.json"), definition: { file: FILE, options: {} } });
    expect(r.request.type).toBe("JOB_TYPE_BATCH");
  }, 60_000);
});
