/**
 * `beamline worker-pool`: a standalone worker pool for EXTERNAL environments, on a host of the
 * cluster's (as Beam's Python and Go SDKs run theirs beside a Flink TaskManager). It serves gRPC
 * `BeamFnExternalWorkerPool`; each StartWorker the runner sends starts Beamline's boot script (the
 * PROCESS environment's and the SDK container's, see `boot-command.ts`) as a child process with Beam's
 * container contract (`--id`, `--provision_endpoint`, `--logging_endpoint`, `--artifact_endpoint`,
 * `--control_endpoint`), so the worker retrieves the staged pipeline bundle and options of whatever
 * job the runner runs. StopWorker, and stopping the pool, end the workers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { OptionError } from "../../sdk/errors";
import { BOOT_SCRIPT } from "./boot-command";
import type { Protos } from "./model/protos";

/** How long a stopped worker has to end before it is killed, in ms. */
const STOP_GRACE_MS = 5000;

/** A worker the pool started, as the pool reports it. */
export interface PoolWorkerEvent {
  readonly workerId: string;
  readonly event: "started" | "exited";
  /** For `exited`: its exit code (null when a signal ended it). */
  readonly code?: number | null;
  /** For `exited` with a code other than 0: the end of what it wrote on stderr. */
  readonly stderr?: string;
}

/** A worker pool whose workers are processes running Beamline's boot script. */
export class ProcessWorkerPool {
  private readonly server = new grpc.Server({ "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 });
  private readonly workers = new Map<string, ChildProcess>();
  /** The address runners reach it at, once started. */
  address = "";

  constructor(
    private readonly protos: Protos,
    private readonly onWorker: (e: PoolWorkerEvent) => void = () => {},
  ) {}

  /** Serves on `host:port` (0: any free port); resolves to the address. */
  async start(host = "127.0.0.1", port = 0): Promise<string> {
    this.server.addService(this.protos.service("fn.BeamFnExternalWorkerPool"), {
      StartWorker: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const r = call.request;
        const url = (e: { url?: string } | null | undefined) => e?.url ?? "";
        const args = [`--id=${r.workerId}`, `--provision_endpoint=${url(r.provisionEndpoint)}`, `--logging_endpoint=${url(r.loggingEndpoint)}`, `--artifact_endpoint=${url(r.artifactEndpoint)}`, `--control_endpoint=${url(r.controlEndpoint)}`];
        if (!url(r.provisionEndpoint)) {
          cb(null, { error: `worker ${r.workerId}: the runner gave no provision endpoint, which a Beamline worker reads the staged pipeline from` });
          return;
        }
        const child = spawn(process.execPath, [BOOT_SCRIPT, ...args], { stdio: ["ignore", "inherit", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => {
          process.stderr.write(d);
          stderr = (stderr + d.toString()).slice(-4000);
        });
        child.on("exit", (code) => {
          this.workers.delete(r.workerId);
          this.onWorker({ workerId: r.workerId, event: "exited", code, ...(code ? { stderr } : {}) });
        });
        this.workers.set(r.workerId, child);
        this.onWorker({ workerId: r.workerId, event: "started" });
        cb(null, {});
      },
      StopWorker: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const child = this.workers.get(call.request.workerId);
        if (child) void this.end(child);
        cb(null, {});
      },
    });
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(new OptionError({ code: "BL_WORKER_POOL_PORT", value: `${host}:${port}`, rule: `the worker pool cannot listen there: ${e.message}`, fix: "pass a free --port (0 picks one) and an address of this host as --host" })) : resolve(p),
      ),
    );
    this.address = `${host}:${bound}`;
    return this.address;
  }

  /** The ids of the workers running now. */
  running(): string[] {
    return [...this.workers.keys()];
  }

  /** Ends every worker and stops serving. */
  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((c) => this.end(c)));
    this.server.forceShutdown();
  }

  /** Asks a worker to end (SIGTERM), and kills it if it has not within the grace period. */
  private end(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
