/**
 * A runner's checkpoint split (a split at fraction 0) of a splittable read, driven through Beamline's
 * SDK harness the way a runner drives it: the read being processed stops where it is, the bundle ends
 * at once with what it read, the primary holds the element with nothing left to read, and the residual
 * holds the rest of the part, which read by a later bundle continues exactly where the first stopped.
 */
import { CODER_URNS, coderFromProto, type CoderProto, type WindowedValue } from "../../../runners/portable/coders/coders";
import { ByteReader } from "../../../runners/portable/coders/wire";
import type { SdkHarness } from "../../../runners/portable/harness/harness";
import { decodeRestriction, encodeRestriction, INITIAL_RESTRICTION, type ReadRestriction } from "../../../runners/portable/harness/restriction";
import { SDF_URNS } from "../../../runners/portable/harness/sdf";
import { BEAMLINE_DOFN_URN } from "../../../runners/portable/model/payloads";
import { beamProtos, type Protos } from "../../../runners/portable/model/protos";
import { SequenceSource } from "../../../transforms/sources";
import { FakeRunner, harnessOn, progressCount, until } from "./fake-runner";
import { describeWith } from "./requirements";

const c = (urn: string, ...componentCoderIds: string[]): CoderProto => ({ spec: { urn }, componentCoderIds });
/** The process step's input (a part and its restriction, with a size) and output (numbers), in the global window. */
const CODERS: Record<string, CoderProto> = {
  bytes: c(CODER_URNS.bytes),
  dbl: c(CODER_URNS.double),
  gw: c(CODER_URNS.globalWindow),
  kv: c(CODER_URNS.kv, "bytes", "bytes"),
  kvs: c(CODER_URNS.kv, "kv", "dbl"),
  in: c(CODER_URNS.windowedValue, "kvs", "gw"),
  out: c(CODER_URNS.windowedValue, "dbl", "gw"),
};

const PART = Buffer.from(JSON.stringify({ from: 0, to: null }));

function descriptor(protos: Protos, url: string): Record<string, unknown> {
  const port = (coderId: string) => protos.encode("fn.RemoteGrpcPort", { apiServiceDescriptor: { url }, coderId });
  const doFn = { urn: BEAMLINE_DOFN_URN, payload: Buffer.from(JSON.stringify({ role: "readPart", transform: "Numbers", fingerprint: "f" })) };
  return {
    id: "sdf",
    transforms: {
      source: { uniqueName: "source", spec: { urn: "beam:runner:source:v1", payload: port("in") }, inputs: {}, outputs: { out: "sized" } },
      process: { uniqueName: "process", spec: { urn: SDF_URNS.processSized, payload: protos.encode("pipeline.ParDoPayload", { doFn, restrictionCoderId: "bytes" }) }, inputs: { main: "sized" }, outputs: { main: "numbers" } },
      sink: { uniqueName: "sink", spec: { urn: "beam:runner:sink:v1", payload: port("out") }, inputs: { in: "numbers" }, outputs: {} },
    },
    pcollections: {
      sized: { uniqueName: "sized", coderId: "kvs", isBounded: "UNBOUNDED", windowingStrategyId: "ws" },
      numbers: { uniqueName: "numbers", coderId: "dbl", isBounded: "UNBOUNDED", windowingStrategyId: "ws" },
    },
    windowingStrategies: {},
    coders: CODERS,
  };
}

describeWith(["mvn", "java"], "checkpoint splits of a splittable read in the harness", () => {
  let runner: FakeRunner;
  let harness: SdkHarness;
  let protos: Protos;
  let n = 0;
  // 200 numbers a second, so a bundle's one-second budget is far from spent when the split comes.
  const source = new SequenceSource({ from: 0, batchSize: 5, ratePerSecond: 200 });

  beforeAll(async () => {
    protos = beamProtos();
    ({ runner, harness } = await harnessOn(protos, { coders: CODERS, source: "in", sink: "out" }, (url) => descriptor(protos, url), () => source));
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    runner?.stop();
  });

  /** The restriction of an encoded input element. */
  function restrictionOf(element: Uint8Array): ReadRestriction {
    const wv = coderFromProto("in", CODERS, protos).decode(new ByteReader(Buffer.from(element)), true) as WindowedValue;
    expect(Buffer.from(wv.value.key.key).equals(PART)).toBe(true);
    return decodeRestriction(wv.value.key.value);
  }

  /** Runs one bundle over the part with `restriction`; `during` runs once `atLeast` numbers were read (as progress reports count them). Resolves to the response, the numbers and what `during` returned. */
  async function bundle<T>(restriction: ReadRestriction, atLeast: number, during: (id: string) => Promise<T>) {
    const id = `bundle${n++}`;
    const done = runner.instruct({ instructionId: id, processBundle: { processBundleDescriptorId: "sdf" } });
    if (n === 1) await runner.dataConnected;
    runner.send(id, [{ key: { key: PART, value: encodeRestriction(restriction) }, value: 1 }], true);
    await until("numbers read", async () => progressCount(protos, await runner.instruct({ instructionId: `${id}-progress-${Date.now()}`, processBundleProgress: { instructionId: id } }), "numbers") >= atLeast);
    const answer = await during(id);
    const asked = Date.now();
    const res = await done;
    expect(res.error ?? "").toBe("");
    await until("the sink's last chunk", async () => runner.output.get(id)?.done === true);
    return { res, answer, numbers: runner.output.get(id)!.values as number[], tookMs: Date.now() - asked };
  }

  test("a split at fraction 0 stops the read where it is: primary done, residual from there, and the bundle ends at once", async () => {
    const first = await bundle(INITIAL_RESTRICTION, 10, (id) => runner.instruct({ instructionId: `${id}-split`, processBundleSplit: { instructionId: id, desiredSplits: { source: { fractionOfRemainder: 0, estimatedInputElements: 1 } } } }));
    const split = first.answer.processBundleSplit;
    expect(split.channelSplits).toEqual([expect.objectContaining({ transformId: "source", lastPrimaryElement: 0, firstResidualElement: 1 })]);
    const k = first.numbers.length;
    expect(first.numbers).toEqual(Array.from({ length: k }, (_, i) => i));
    expect(restrictionOf(split.primaryRoots[0].element)).toMatchObject({ position: k, done: true });
    expect(split.residualRoots[0].application).toMatchObject({ transformId: "process", inputId: "main" });
    const rest = restrictionOf(split.residualRoots[0].application.element);
    expect(rest).toEqual({ position: k, watermark: expect.any(Number), lastDataAt: expect.any(Number) });
    // The bundle ended without spending its budget, and left no residual of its own (the split gave it).
    expect(first.tookMs).toBeLessThan(500);
    expect(first.res.processBundle.residualRoots ?? []).toEqual([]);

    // The residual, read by another bundle, continues exactly where the first stopped.
    const second = await bundle(rest, 1, async () => null);
    expect(second.numbers[0]).toBe(k);
    expect(second.numbers).toEqual(second.numbers.map((_, i) => k + i));
    expect(restrictionOf(second.res.processBundle.residualRoots[0].application.element).position).toBe(k + second.numbers.length);
  }, 30_000);

  test("a split at another fraction is declined: an unbounded part has no fraction of a remainder, and the read goes on to its budget", async () => {
    const { answer, numbers, res } = await bundle(INITIAL_RESTRICTION, 10, (id) => runner.instruct({ instructionId: `${id}-split`, processBundleSplit: { instructionId: id, desiredSplits: { source: { fractionOfRemainder: 0.5, estimatedInputElements: 1 } } } }));
    expect(answer.processBundleSplit.channelSplits ?? []).toEqual([]);
    expect(restrictionOf(res.processBundle.residualRoots[0].application.element).position).toBe(numbers.length);
    expect(numbers.length).toBeGreaterThan(100);
  }, 30_000);

  test("the primary of a checkpoint, run again, reads nothing and leaves no residual", async () => {
    const id = `bundle${n++}`;
    const done = runner.instruct({ instructionId: id, processBundle: { processBundleDescriptorId: "sdf" } });
    runner.send(id, [{ key: { key: PART, value: encodeRestriction({ position: 40, watermark: 0, done: true }) }, value: 0 }], true);
    const res = await done;
    expect(res.error ?? "").toBe("");
    expect(res.processBundle.residualRoots ?? []).toEqual([]);
    expect(runner.output.get(id)?.values ?? []).toEqual([]);
  }, 30_000);
});
