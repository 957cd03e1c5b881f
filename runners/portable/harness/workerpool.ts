/**
 * The worker pool a LOOPBACK / EXTERNAL environment points at: a gRPC `BeamFnExternalWorkerPool`
 * served by the submitting process on a loopback port. Each StartWorker starts one SDK harness in
 * this process, with the pipeline the process built.
 */
import * as grpc from "@grpc/grpc-js";
import type { Protos } from "../model/protos";
import type { PipelineRuntime } from "./bundle";
import { FailureListener, SdkHarness } from "./harness";

/** A running worker pool. */
export class WorkerPool {
  private readonly server = new grpc.Server({ "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 });
  private readonly workers = new Map<string, SdkHarness>();
  /** The address runners reach it at. */
  address = "";

  constructor(
    private readonly protos: Protos,
    private readonly runtime: PipelineRuntime,
    private readonly onFailure: FailureListener,
  ) {}

  /** Starts serving on 127.0.0.1 at a free port. */
  async start(host = "127.0.0.1"): Promise<string> {
    this.server.addService(this.protos.service("fn.BeamFnExternalWorkerPool"), {
      StartWorker: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const req = call.request;
        try {
          const h = new SdkHarness(this.protos, this.runtime, { workerId: req.workerId, controlUrl: req.controlEndpoint.url, loggingUrl: req.loggingEndpoint?.url || undefined }, this.onFailure);
          this.workers.set(req.workerId, h);
          h.start();
          cb(null, {});
        } catch (e) {
          cb(null, { error: e instanceof Error ? e.message : String(e) });
        }
      },
      StopWorker: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const h = this.workers.get(call.request.workerId);
        this.workers.delete(call.request.workerId);
        void h?.close();
        cb(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.address = `${host}:${port}`;
    return this.address;
  }

  /** Closes every worker and the server. */
  async stop(): Promise<void> {
    for (const h of this.workers.values()) await h.close();
    this.workers.clear();
    // The runner may keep its connection to the pool open; the pool has nothing left to finish.
    this.server.forceShutdown();
  }
}
