/**
 * The errors the portable side raises without a running service: malformed bytes from the runner,
 * values that cannot travel, coders, transforms, functions, window functions and instructions the
 * harness does not implement, a descriptor whose transforms feed each other, a worker whose pipeline is
 * not the submitted one, a corrupt cached archive, and a portable run with no job service.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError, OptionError, Pipeline, PipelineConstructionError, SchemaError } from "beamline";
import { coderFromProto, CoderProto, CODER_URNS, UnknownCoderError, valueCoder } from "../../../runners/portable/coders/coders";
import { decodeRow, encodeRow, rowCodec } from "../../../runners/portable/coders/rowcoder";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";
import { BundleProcessor } from "../../../runners/portable/harness/bundle";
import { combinePhase, combinePhaseOf } from "../../../runners/portable/harness/combine-phases";
import { SdkHarness } from "../../../runners/portable/harness/harness";
import { runPortable } from "../../../runners/portable/launch";
import { InvariantError, RunnerProtocolError } from "../../../runners/portable/model/errors";
import { BEAMLINE_COMBINE_FN_URN, BEAMLINE_DOFN_URN, COMBINE_URNS } from "../../../runners/portable/model/payloads";
import { beamProtos, Protos } from "../../../runners/portable/model/protos";
import { ProvisioningError } from "../../../runners/portable/provision/cache";
import { readZipEntries } from "../../../runners/portable/provision/zip";
import { launcherFor } from "../../../runners/launchers";
import { describeWith } from "./requirements";

/** The error `f` throws (or its promise rejects with). */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

function expectError(e: unknown, cls: new (...a: any[]) => BeamlineError, code: string, domain: BeamlineError["domain"]): BeamlineError {
  expect(e).toBeInstanceOf(cls);
  const b = e as BeamlineError;
  expect(b.code).toBe(code);
  expect(b.domain).toBe(domain);
  expect(b.rule.length).toBeGreaterThan(0);
  expect(b.fix?.length).toBeGreaterThan(0);
  return b;
}

describe("bytes from the runner that do not decode", () => {
  it("a read past the end names how many bytes it needed", async () => {
    const e = expectError(await thrown(() => new ByteReader(Buffer.from([1, 2])).int32()), RunnerProtocolError, "BL_MALFORMED_ENCODING", "external");
    expect(e.value).toBe(4);
    expect(e.message).toContain("offset 0 of 2");
  });

  it("a varint longer than 64 bits", async () => {
    expectError(await thrown(() => new ByteReader(Buffer.alloc(11, 0xff)).varbig()), RunnerProtocolError, "BL_MALFORMED_ENCODING", "external");
  });

  it("a negative length", async () => {
    const w = new ByteWriter();
    w.varint(-1);
    const e = expectError(await thrown(() => new ByteReader(w.finish()).length()), RunnerProtocolError, "BL_MALFORMED_ENCODING", "external");
    expect(e.value).toBe(-1);
  });

  it("a value coder tag that names no value kind", async () => {
    const e = expectError(await thrown(() => valueCoder.decode(new ByteReader(Buffer.from([0xee])), true)), RunnerProtocolError, "BL_MALFORMED_ENCODING", "external");
    expect(e.value).toBe(0xee);
  });

  it("a row with more fields than its schema", async () => {
    const one = rowCodec({ fields: [{ name: "a", type: { atomicType: "INT64" } }] });
    const two = rowCodec({ fields: [{ name: "a", type: { atomicType: "INT64" } }, { name: "b", type: { atomicType: "INT64" } }] });
    const w = new ByteWriter();
    encodeRow(two, { a: 1, b: 2 }, w);
    const e = expectError(await thrown(() => decodeRow(one, new ByteReader(w.finish()))), RunnerProtocolError, "BL_MALFORMED_ENCODING", "external");
    expect(e.value).toBe(2);
  });

  it("a schema field type the row coder does not implement", async () => {
    const e = expectError(await thrown(() => rowCodec({ fields: [{ name: "a", type: { atomicType: "COMPLEX" } }] })), RunnerProtocolError, "BL_UNSUPPORTED_SCHEMA_TYPE", "external");
    expect(e.value).toBe("COMPLEX");
  });
});

describe("values that cannot be encoded are the user's", () => {
  it("a function in a row", async () => {
    const e = expectError(await thrown(() => valueCoder.encode({ f: () => 1 }, new ByteWriter(), true)), SchemaError, "BL_UNENCODABLE_VALUE", "user");
    expect(e.value).toBe("function");
  });

  it("a decimal field holding something else", async () => {
    const codec = rowCodec({ fields: [{ name: "price", type: { logicalType: { urn: "beam:logical_type:decimal:v1", representation: { atomicType: "BYTES" } } } }] });
    const e = expectError(await thrown(() => encodeRow(codec, { price: "twelve" }, new ByteWriter())), SchemaError, "BL_NOT_A_DECIMAL", "user");
    expect(e.value).toBe("twelve");
  });

  it("an integer field holding a string", async () => {
    const codec = rowCodec({ fields: [{ name: "n", type: { atomicType: "INT64" } }] });
    expectError(await thrown(() => encodeRow(codec, { n: "7" }, new ByteWriter())), SchemaError, "BL_NOT_AN_INTEGER", "user");
  });
});

describe("coders the runner names", () => {
  it("an id the descriptor does not hold", async () => {
    const e = expectError(await thrown(() => coderFromProto("missing", {}, null)), UnknownCoderError, "BL_UNKNOWN_CODER", "external");
    expect(e).toBeInstanceOf(RunnerProtocolError);
    expect(e.value).toBe("missing");
  });

  it("a URN Beamline does not implement", async () => {
    const coders: Record<string, CoderProto> = { c: { spec: { urn: "beam:coder:custom:v1" } } };
    const e = expectError(await thrown(() => coderFromProto("c", coders, null)), UnknownCoderError, "BL_UNSUPPORTED_CODER", "external");
    expect(e.value).toBe("beam:coder:custom:v1");
  });

  it("a row coder built without protos is Beamline's bug", async () => {
    const coders: Record<string, CoderProto> = { r: { spec: { urn: CODER_URNS.row } } };
    expectError(await thrown(() => coderFromProto("r", coders, null)), InvariantError, "BL_ROW_CODER_WITHOUT_PROTOS", "internal");
  });
});

test("a combine phase URN that is none is Beamline's bug", async () => {
  const e = expectError(await thrown(() => combinePhase("beam:transform:other:v1", "T", { keyFields: [], aggregates: {}, shape: "flat" } as any, () => {})), InvariantError, "BL_NOT_A_COMBINE_PHASE", "internal");
  expect(e.value).toBe("beam:transform:other:v1");
});

test("a corrupt cached archive says to delete it", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "beamline-zip-")), "broken.jar");
  fs.writeFileSync(file, Buffer.alloc(100, 7));
  const e = expectError(await thrown(() => readZipEntries(file, () => true)), ProvisioningError, "BL_CORRUPT_ARCHIVE", "external");
  expect(e.value).toBe(file);
});

describe("portable runs by runner name", () => {
  it("the portable runner without a job endpoint starts nothing and says what to pass", async () => {
    expect(launcherFor("portable")).toBeUndefined();
    const e = expectError(await thrown(() => runPortable(new Pipeline(), { runner: "portable", launcher: launcherFor("portable") })), OptionError, "BL_NO_JOB_ENDPOINT", "user");
    expect(e.fix).toContain("--job-endpoint");
  });

  it("prism and flink have launchers", () => {
    expect(typeof launcherFor("prism")).toBe("function");
    expect(typeof launcherFor("flink", { flinkMaster: "[local]" })).toBe("function");
    expect(typeof launcherFor("flink", { flinkVersion: "1.19" })).toBe("function");
  });

  it("flink refuses a Flink version it has no job server for before starting anything, naming the one it has", async () => {
    const e = expectError(await thrown(() => launcherFor("flink", { flinkVersion: "1.20" })), OptionError, "BL_FLINK_VERSION_UNAVAILABLE", "user");
    expect(e.value).toBe("1.20");
    expect(e.rule).toContain("Flink 1.19 only");
    expect(e.fix).toContain("--flink-version=1.19");
    expect(e.fix).toContain("--job-endpoint");
  });
});

describeWith(["mvn", "java"], "what the harness refuses from a runner", () => {
  let protos: Protos;
  beforeAll(() => {
    protos = beamProtos();
  });

  const runtime = { graph: { transforms: {}, pcollections: {}, windowingStrategies: {}, roots: [] } as any, fingerprint: "f".repeat(64), fn: () => ({}) as never };
  const noChannels = { data: () => { throw new Error("no data channel in this test"); }, state: () => { throw new Error("no state channel in this test"); } };
  const descriptor = (transforms: Record<string, unknown>) => ({ id: "d", transforms, pcollections: {}, windowingStrategies: {}, coders: {} });

  it("a transform URN the harness does not run", async () => {
    const d = descriptor({ t: { uniqueName: "Other", spec: { urn: "beam:transform:custom:v1" }, inputs: {}, outputs: {} } });
    const e = expectError(await thrown(() => new BundleProcessor(d, protos, runtime, noChannels).process("i1")), RunnerProtocolError, "BL_UNKNOWN_TRANSFORM", "external");
    expect(e.value).toBe("beam:transform:custom:v1");
    expect(e.where).toContain("Other");
  });

  it("a ParDo of another SDK's DoFn", async () => {
    const payload = protos.encode("pipeline.ParDoPayload", { doFn: { urn: "beam:dofn:javasdk:0.1", payload: Buffer.alloc(0) } });
    const d = descriptor({ t: { uniqueName: "JavaDoFn", spec: { urn: "beam:transform:pardo:v1", payload }, inputs: {}, outputs: {} } });
    const e = expectError(await thrown(() => new BundleProcessor(d, protos, runtime, noChannels).process("i1")), RunnerProtocolError, "BL_FOREIGN_FUNCTION", "external");
    expect(e.value).toBe("beam:dofn:javasdk:0.1");
  });

  it("a DoFn of a pipeline built differently from the submitted one", async () => {
    const fn = { role: "pardo", transform: "Map", fingerprint: "0".repeat(64) };
    const payload = protos.encode("pipeline.ParDoPayload", { doFn: { urn: BEAMLINE_DOFN_URN, payload: Buffer.from(JSON.stringify(fn)) } });
    const d = descriptor({ t: { uniqueName: "Map", spec: { urn: "beam:transform:pardo:v1", payload }, inputs: {}, outputs: {} } });
    const e = expectError(await thrown(() => new BundleProcessor(d, protos, runtime, noChannels).process("i1")), PipelineConstructionError, "BL_NONDETERMINISTIC_PIPELINE", "user");
    expect(e.value).toEqual({ rebuilt: "f".repeat(12), submitted: "0".repeat(12) });
  });

  it("a combine function of another SDK, and one of a different pipeline", async () => {
    const combine = (urn: string, payload: unknown) => ({ uniqueName: "Sum", spec: { urn: COMBINE_URNS.precombine, payload: protos.encode("pipeline.CombinePayload", { combineFn: { urn, payload: Buffer.from(JSON.stringify(payload)) } }) } });
    expectError(await thrown(() => combinePhaseOf(combine("beam:combinefn:javasdk:v1", {}), protos, runtime, undefined, () => {})), RunnerProtocolError, "BL_FOREIGN_FUNCTION", "external");
    expectError(await thrown(() => combinePhaseOf(combine(BEAMLINE_COMBINE_FN_URN, { transform: "Sum", fingerprint: "1".repeat(64) }), protos, runtime, undefined, () => {})), PipelineConstructionError, "BL_NONDETERMINISTIC_PIPELINE", "user");
  });

  it("a window function that is not one of Beam's standard ones", async () => {
    const payload = protos.encode("pipeline.WindowIntoPayload", { windowFn: { urn: "beam:window_fn:custom:v1" } });
    const d = descriptor({ t: { uniqueName: "Window", spec: { urn: "beam:transform:window_into:v1", payload }, inputs: {}, outputs: {} } });
    const e = expectError(await thrown(() => new BundleProcessor(d, protos, runtime, noChannels).process("i1")), RunnerProtocolError, "BL_UNKNOWN_WINDOW_FN", "external");
    expect(e.value).toBe("beam:window_fn:custom:v1");
  });

  it("a descriptor whose transforms feed each other", async () => {
    const d = descriptor({
      a: { uniqueName: "A", spec: { urn: "beam:transform:flatten:v1" }, inputs: { in: "pb" }, outputs: { out: "pa" } },
      b: { uniqueName: "B", spec: { urn: "beam:transform:flatten:v1" }, inputs: { in: "pa" }, outputs: { out: "pb" } },
    });
    expectError(await thrown(() => new BundleProcessor(d, protos, runtime, noChannels)), RunnerProtocolError, "BL_DESCRIPTOR_CYCLE", "external");
  });

  it("an instruction the harness does not implement", async () => {
    const harness = new SdkHarness(protos, runtime, { workerId: "w", controlUrl: "127.0.0.1:1" });
    const handle = (harness as unknown as { handle(req: unknown): Promise<unknown> }).handle.bind(harness);
    const e = expectError(await thrown(() => handle({ instructionId: "i9", request: "sampleData", sampleData: {} })), RunnerProtocolError, "BL_UNKNOWN_INSTRUCTION", "external");
    expect(e.value).toBe("sampleData");
    expect(e.where).toBe("instruction i9");
  });
});
