/**
 * A runner's control and data services in this process, for driving Beamline's SDK harness the way a
 * runner does (register, process bundles, progress and split requests), recording what it sends.
 */
import * as grpc from "@grpc/grpc-js";
import { coderFromProto, CoderProto, CODER_URNS } from "../../../runners/portable/coders/coders";
import type { Protos } from "../../../runners/portable/model/protos";
import { SdkHarness } from "../../../runners/portable/harness/harness";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";

/** The coders of the data the runner sends (`source`) and receives (`sink`): windowed value coder ids. */
export interface FakeRunnerCoders {
  readonly coders: Record<string, CoderProto>;
  readonly source: string;
  readonly sink: string;
}

/** A runner's control and data services in this process, recording what the harness sends. */
export class FakeRunner {
  readonly server = new grpc.Server();
  control!: grpc.ServerDuplexStream<any, any>;
  data!: grpc.ServerDuplexStream<any, any>;
  private readonly waiting = new Map<string, (res: any) => void>();
  private readonly connected: Promise<void>;
  /** Sink output per instruction, as decoded values, and whether it ended. */
  readonly output = new Map<string, { values: unknown[]; done: boolean }>();
  private dataReady!: () => void;
  readonly dataConnected = new Promise<void>((r) => (this.dataReady = r));

  constructor(
    private readonly protos: Protos,
    private readonly data_: FakeRunnerCoders,
  ) {
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
    const wv = coderFromProto(data_.sink, data_.coders, protos);
    this.server.addService(protos.service("fn.BeamFnData"), {
      Data: (call: grpc.ServerDuplexStream<any, any>) => {
        this.data = call;
        call.on("data", (msg: any) => {
          for (const d of msg.data ?? []) {
            const out = this.output.get(d.instructionId) ?? { values: [], done: false };
            const r = new ByteReader(Buffer.from(d.data ?? []));
            while (!r.done) out.values.push(wv.decode(r, true).value);
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

  /** Sends elements `values` of the source of `instruction`, in the global window at timestamp 0. */
  send(instruction: string, values: unknown[], isLast = false): void {
    const w = new ByteWriter();
    const wv = coderFromProto(this.data_.source, this.data_.coders, this.protos);
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

/** Polls `f` until it holds; fails after `timeoutMs`. */
export async function until(what: string, f: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Elements of PCollection `pc` a progress report counts. */
export function progressCount(protos: Protos, res: any, pc: string): number {
  const info = (res.processBundleProgress?.monitoringInfos ?? []).find((m: any) => m.labels?.PCOLLECTION === pc);
  if (!info) return 0;
  const varint = coderFromProto("varint", { varint: { spec: { urn: CODER_URNS.varint } } }, protos);
  return Number(varint.decode(new ByteReader(Buffer.from(info.payload)), false));
}

/**
 * Starts a fake runner and a harness connected to it (a pipeline with fingerprint "f", whose runtime
 * objects `fn` gives), and registers the descriptor `descriptor(url)` builds for the runner's address.
 */
export async function harnessOn(
  protos: Protos,
  coders: FakeRunnerCoders,
  descriptor: (url: string) => Record<string, unknown>,
  fn: (transform: string) => unknown,
): Promise<{ runner: FakeRunner; harness: SdkHarness }> {
  const runner = new FakeRunner(protos, coders);
  const url = await runner.start();
  const graph = { transforms: {}, pcollections: {}, windowingStrategies: {}, roots: [] } as any;
  const harness = new SdkHarness(protos, { graph, fingerprint: "f", fn: fn as <T>(transform: string) => T }, { workerId: "w1", controlUrl: url });
  harness.start();
  await runner.ready();
  const reg = await runner.instruct({ instructionId: "register", register: { processBundleDescriptor: [descriptor(url)] } });
  if (reg.error) throw new Error(`registering the descriptor failed: ${reg.error}`);
  return { runner, harness };
}
