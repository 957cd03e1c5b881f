/**
 * Channel splits in the harness, driven the way a runner drives them: an in-process gRPC server plays
 * the runner's control and data services, registers a descriptor (data source → sink), starts a
 * bundle, feeds part of the input, waits for the harness's progress report to show it read, asks for a
 * split, then sends the rest. The primary (what the harness output) and the residual (what it gave
 * back) cover the input exactly once.
 */
import * as grpc from "@grpc/grpc-js";
import { coderFromProto, CoderProto, CODER_URNS } from "../../../runners/portable/coders/coders";
import { SdkHarness } from "../../../runners/portable/harness/harness";
import { beamProtos, Protos } from "../../../runners/portable/model/protos";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";
import { describeWith } from "./requirements";

const CODERS: Record<string, CoderProto> = {
  varint: { spec: { urn: CODER_URNS.varint } },
  gw: { spec: { urn: CODER_URNS.globalWindow } },
  wv: { spec: { urn: CODER_URNS.windowedValue }, componentCoderIds: ["varint", "gw"] },
};

/** A runner's control and data services in this process, recording what the harness sends. */
class FakeRunner {
  readonly server = new grpc.Server();
  control!: grpc.ServerDuplexStream<any, any>;
  data!: grpc.ServerDuplexStream<any, any>;
  private readonly waiting = new Map<string, (res: any) => void>();
  private readonly connected: Promise<void>;
  /** Sink output per instruction, as decoded numbers, and whether it ended. */
  readonly output = new Map<string, { values: number[]; done: boolean }>();
  private dataReady!: () => void;
  readonly dataConnected = new Promise<void>((r) => (this.dataReady = r));

  constructor(private readonly protos: Protos) {
    let ready!: () => void;
    this.connected = new Promise((r) => (ready = r));
    this.server.addService(protos.service("fn.BeamFnControl"), {
      Control: (call: grpc.ServerDuplexStream<any, any>) => {
        this.control = call;
        call.on("data", (res: any) => this.waiting.get(res.instructionId)?.(res));
        call.on("error", () => {});
        ready();
      },
      GetProcessBundleDescriptor: (_call: unknown, cb: grpc.sendUnaryData<any>) => cb({ code: grpc.status.NOT_FOUND, details: "registered up front" }, null),
    });
    const wv = coderFromProto("wv", CODERS, protos);
    this.server.addService(protos.service("fn.BeamFnData"), {
      Data: (call: grpc.ServerDuplexStream<any, any>) => {
        this.data = call;
        call.on("data", (msg: any) => {
          for (const d of msg.data ?? []) {
            const out = this.output.get(d.instructionId) ?? { values: [], done: false };
            const r = new ByteReader(Buffer.from(d.data ?? []));
            while (!r.done) out.values.push(Number(wv.decode(r, true).value));
            if (d.isLast) out.done = true;
            this.output.set(d.instructionId, out);
          }
        });
        call.on("error", () => {});
        this.dataReady();
      },
    });
  }

  async start(): Promise<string> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    return `127.0.0.1:${port}`;
  }

  async ready(): Promise<void> {
    await this.connected;
  }

  /** Sends an instruction and resolves to the harness's response. */
  instruct(req: Record<string, unknown> & { instructionId: string }): Promise<any> {
    return new Promise((resolve) => {
      this.waiting.set(req.instructionId, resolve);
      this.control.write(req);
    });
  }

  /** Sends elements `values` of the source of `instruction`. */
  send(instruction: string, values: number[], isLast = false): void {
    const w = new ByteWriter();
    const wv = coderFromProto("wv", CODERS, this.protos);
    for (const v of values) wv.encode({ value: v, timestamp: 0, windows: [{ start: 0, end: 0, global: true }], pane: { timing: "unknown", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 } }, w, true);
    this.data.write({ data: [{ instructionId: instruction, transformId: "source", data: w.finish(), isLast: false }] });
    if (isLast) this.data.write({ data: [{ instructionId: instruction, transformId: "source", data: Buffer.alloc(0), isLast: true }] });
  }

  stop(): void {
    this.control?.end();
    this.data?.end();
    this.server.forceShutdown();
  }
}

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

/** Elements of PCollection `pc` the progress report counts. */
function progressCount(protos: Protos, res: any, pc: string): number {
  const info = (res.processBundleProgress?.monitoringInfos ?? []).find((m: any) => m.labels?.PCOLLECTION === pc);
  if (!info) return 0;
  return Number(coderFromProto("varint", CODERS, protos).decode(new ByteReader(Buffer.from(info.payload)), false));
}

async function until(what: string, f: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeWith(["mvn", "java"], "channel splits in the harness", () => {
  let runner: FakeRunner;
  let harness: SdkHarness;
  let protos: Protos;
  let n = 0;

  beforeAll(async () => {
    protos = beamProtos();
    runner = new FakeRunner(protos);
    const url = await runner.start();
    harness = new SdkHarness(protos, { graph: { transforms: {}, pcollections: {}, windowingStrategies: {}, roots: [] } as any, fingerprint: "f", fn: () => { throw new Error("no user functions here"); } }, { workerId: "w1", controlUrl: url });
    harness.start();
    await runner.ready();
    const reg = await runner.instruct({ instructionId: "register", register: { processBundleDescriptor: [descriptor(protos, url)] } });
    expect(reg.error ?? "").toBe("");
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
    return { input, primary: runner.output.get(id)!.values, answers };
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
