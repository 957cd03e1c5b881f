/**
 * Channel splits in the harness, driven the way a runner drives them: an in-process gRPC server plays
 * the runner's control and data services, registers a descriptor (data source → sink), starts a
 * bundle, feeds part of the input, waits for the harness's progress report to show it read, asks for a
 * split, then sends the rest. The primary (what the harness output) and the residual (what it gave
 * back) cover the input exactly once.
 */
import { coderFromProto, CoderProto, CODER_URNS } from "../../../runners/portable/coders/coders";
import type { SdkHarness } from "../../../runners/portable/harness/harness";
import { beamProtos, Protos } from "../../../runners/portable/model/protos";
import { ByteReader } from "../../../runners/portable/coders/wire";
import { FakeRunner, harnessOn, progressCount, until } from "./fake-runner";
import { describeWith } from "./requirements";

const CODERS: Record<string, CoderProto> = {
  varint: { spec: { urn: CODER_URNS.varint } },
  gw: { spec: { urn: CODER_URNS.globalWindow } },
  wv: { spec: { urn: CODER_URNS.windowedValue }, componentCoderIds: ["varint", "gw"] },
};

function descriptor(protos: Protos, url: string): Record<string, unknown> {
  const port = protos.encode("fn.RemoteGrpcPort", { apiServiceDescriptor: { url }, coderId: "wv" });
  return {
    id: "d1",
    transforms: {
      source: { uniqueName: "source", spec: { urn: "beam:runner:source:v1", payload: port }, inputs: {}, outputs: { out: "numbers" } },
      sink: { uniqueName: "sink", spec: { urn: "beam:runner:sink:v1", payload: port }, inputs: { in: "numbers" }, outputs: {} },
    },
    pcollections: { numbers: { uniqueName: "numbers", coderId: "wv", isBounded: "BOUNDED", windowingStrategyId: "ws" } },
    windowingStrategies: {},
    coders: CODERS,
  };
}

describeWith(["mvn", "java"], "channel splits in the harness", () => {
  let runner: FakeRunner;
  let harness: SdkHarness;
  let protos: Protos;
  let n = 0;

  beforeAll(async () => {
    protos = beamProtos();
    ({ runner, harness } = await harnessOn(protos, { coders: CODERS, source: "wv", sink: "wv" }, (url) => descriptor(protos, url), () => {
      throw new Error("no user functions here");
    }));
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    runner?.stop();
  });

  /** Runs one bundle of `total` numbers: sends `first`, waits until they are read, splits as asked, sends the rest. */
  async function splitBundle(total: number, first: number, splits: { fractionOfRemainder: number }[]) {
    const id = `bundle${n++}`;
    const input = Array.from({ length: total }, (_, i) => i);
    const done = runner.instruct({ instructionId: id, processBundle: { processBundleDescriptorId: "d1" } });
    if (n === 1) await runner.dataConnected;
    runner.send(id, input.slice(0, first));
    await until("the first elements to be read", async () => progressCount(protos, await runner.instruct({ instructionId: `${id}-progress-${Date.now()}`, processBundleProgress: { instructionId: id } }), "numbers") >= first);
    const answers: any[] = [];
    for (const s of splits) {
      const res = await runner.instruct({ instructionId: `${id}-split-${answers.length}`, processBundleSplit: { instructionId: id, desiredSplits: { source: { fractionOfRemainder: s.fractionOfRemainder, estimatedInputElements: total } } } });
      answers.push(res.processBundleSplit);
    }
    runner.send(id, input.slice(first), true);
    const res = await done;
    expect(res.error ?? "").toBe("");
    await until("the sink's last chunk", async () => runner.output.get(id)?.done === true);
    return { input, primary: runner.output.get(id)!.values.map(Number), answers };
  }

  test("a split halfway through the remainder: primary and residual cover the input exactly once", async () => {
    const { input, primary, answers } = await splitBundle(100, 20, [{ fractionOfRemainder: 0.5 }]);
    const [split] = answers[0].channelSplits;
    expect(split.transformId).toBe("source");
    // 20 read, 80 left: the primary keeps 40 more.
    expect(split.lastPrimaryElement).toBe(59);
    expect(split.firstResidualElement).toBe(60);
    expect(primary).toEqual(input.slice(0, split.lastPrimaryElement + 1));
    const residual = input.slice(split.firstResidualElement);
    expect([...primary, ...residual]).toEqual(input);
  }, 30_000);

  test("a second split splits what the first left in the primary", async () => {
    const { input, primary, answers } = await splitBundle(100, 10, [{ fractionOfRemainder: 0.5 }, { fractionOfRemainder: 0.5 }]);
    const [first] = answers[0].channelSplits;
    const [second] = answers[1].channelSplits;
    expect(first.firstResidualElement).toBe(55);
    expect(second.firstResidualElement).toBe(33);
    expect(primary).toEqual(input.slice(0, 33));
    expect([...primary, ...input.slice(second.firstResidualElement)]).toEqual(input);
  }, 30_000);

  test("a split with nothing left to give is declined, and the bundle outputs everything", async () => {
    const { input, primary, answers } = await splitBundle(10, 10, [{ fractionOfRemainder: 0.5 }]);
    expect(answers[0].channelSplits ?? []).toEqual([]);
    expect(primary).toEqual(input);
  }, 30_000);
});
