/**
 * Beamline's Fn API SDK harness: connects to a runner's control endpoint, registers process bundle
 * descriptors, runs bundles (answering progress and split requests while they run), reports errors
 * with the failing transform's name, and sends its logs over the logging channel.
 */
import * as grpc from "@grpc/grpc-js";
import { BeamlineError } from "../../../sdk/errors";
import type { Protos } from "../model/protos";
import { InvariantError, RunnerProtocolError } from "../model/errors";
import { BundleProcessor, PipelineRuntime } from "./bundle";
import { CHANNEL_OPTIONS, clientFor, DataChannel, StateChannel } from "./channels";
import { MonitoringShortIds } from "./metrics";
import { CrossBundleStateCache } from "./state";
import { PendingFinalizations } from "./finalization";

/** Where a harness connects. */
export interface HarnessEndpoints {
  readonly workerId: string;
  readonly controlUrl: string;
  readonly loggingUrl?: string;
}

/** Called with every bundle failure (the submitting process uses it to show the original error). */
export type FailureListener = (error: Error) => void;

/** One SDK harness (one worker). */
export class SdkHarness {
  private control: grpc.ClientDuplexStream<any, any> | null = null;
  private controlClient: grpc.Client | null = null;
  private logging: grpc.ClientDuplexStream<any, any> | null = null;
  private loggingClient: grpc.Client | null = null;
  private readonly descriptors = new Map<string, any>();
  /** Idle processors per descriptor id, reused across bundles. */
  private readonly idle = new Map<string, BundleProcessor[]>();
  /** Processors running, by instruction id. */
  private readonly active = new Map<string, BundleProcessor>();
  private readonly dataChannels = new Map<string, DataChannel>();
  private readonly stateChannels = new Map<string, StateChannel>();
  /** User state kept across bundles under the runner's cache tokens. */
  private readonly stateCache = new CrossBundleStateCache();
  /** Bundles whose sources publish their progress once the runner finalizes them. */
  private readonly finalizations = new PendingFinalizations();
  /** Short ids of the monitoring infos this harness reported. */
  private readonly shortIds = new MonitoringShortIds();
  private closed = false;
  private finished!: Promise<void>;

  constructor(
    private readonly protos: Protos,
    private readonly runtime: PipelineRuntime,
    private readonly endpoints: HarnessEndpoints,
    private readonly onFailure: FailureListener = () => {},
  ) {}

  /** Connects and starts serving instructions; resolves once connected. */
  start(): void {
    const md = this.metadata();
    if (this.endpoints.loggingUrl) {
      const Logging = clientFor(this.protos, "fn.BeamFnLogging");
      this.loggingClient = new Logging(this.endpoints.loggingUrl, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
      this.logging = (this.loggingClient as any).Logging(md);
      this.logging!.on("error", () => {});
      this.logging!.on("data", () => {});
    }
    const Control = clientFor(this.protos, "fn.BeamFnControl");
    this.controlClient = new Control(this.endpoints.controlUrl, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.control = (this.controlClient as any).Control(md);
    this.finished = new Promise((resolve) => {
      this.control!.on("end", () => resolve());
      this.control!.on("error", () => resolve());
    });
    this.control!.on("data", (req: any) => {
      this.handle(req).then(
        (res) => this.respond(res),
        (e) => this.respond({ instructionId: req.instructionId, error: errorText(e) }),
      );
    });
    void this.finished.then(() => this.close());
  }

  /** Resolves when the runner closes the control stream. */
  get done(): Promise<void> {
    return this.finished;
  }

  private respond(res: Record<string, unknown>): void {
    if (!this.closed) this.control?.write(res);
  }

  /** Sends a log entry to the runner. */
  log(severity: "DEBUG" | "INFO" | "WARN" | "ERROR", message: string, instructionId = "", transformId = ""): void {
    if (!this.logging || this.closed) return;
    const now = Date.now();
    this.logging.write({
      logEntries: [{ severity, message, instructionId, transformId, timestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 }, logLocation: "beamline" }],
    });
  }

  private channels() {
    return {
      data: (url: string) => {
        let c = this.dataChannels.get(url);
        if (!c) this.dataChannels.set(url, (c = new DataChannel(this.protos, url, this.endpoints.workerId)));
        return c;
      },
      state: (url: string) => {
        let c = this.stateChannels.get(url);
        if (!c) this.stateChannels.set(url, (c = new StateChannel(this.protos, url, this.endpoints.workerId)));
        return c;
      },
    };
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set("worker_id", this.endpoints.workerId);
    return md;
  }

  /** A registered descriptor, or the runner's answer to GetProcessBundleDescriptor (cached). */
  private descriptor(id: string): Promise<any> {
    const hit = this.descriptors.get(id);
    if (hit) return Promise.resolve(hit);
    const p = new Promise<any>((resolve, reject) =>
      (this.controlClient as any).GetProcessBundleDescriptor({ processBundleDescriptorId: id }, this.metadata(), (e: Error | null, d: any) => (e ? reject(e) : resolve(d))),
    );
    this.descriptors.set(id, p);
    p.catch(() => this.descriptors.delete(id));
    return p;
  }

  private async handle(req: any): Promise<Record<string, unknown>> {
    const id = req.instructionId as string;
    if (process.env.BEAMLINE_HARNESS_DEBUG) process.stderr.write(`harness ${this.endpoints.workerId}: ${id} ${req.request} ${JSON.stringify(req[req.request]).slice(0, 300)}\n`);
    switch (req.request) {
      case "register": {
        for (const d of req.register.processBundleDescriptor ?? []) this.descriptors.set(d.id, d);
        return { instructionId: id, register: {} };
      }
      case "processBundle": {
        const descId = req.processBundle.processBundleDescriptorId as string;
        const desc = await this.descriptor(descId);
        const pool = this.idle.get(descId) ?? [];
        this.idle.set(descId, pool);
        const proc = pool.pop() ?? new BundleProcessor(desc, this.protos, this.runtime, this.channels(), this.stateCache);
        this.active.set(id, proc);
        try {
          const monitoringInfos = await proc.process(id, req.processBundle.cacheTokens ?? []);
          if (process.env.BEAMLINE_HARNESS_DEBUG) process.stderr.write(`harness: ${id} done, elements per PCollection ${JSON.stringify(proc.counts())}\n`);
          pool.push(proc);
          const residualRoots = proc.residualRoots();
          const requiresFinalization = this.finalizations.add(id, proc.bundleProgress());
          return { instructionId: id, processBundle: { residualRoots, monitoringInfos, monitoringData: this.shortIds.data(monitoringInfos), requiresFinalization } };
        } catch (e) {
          const err = e instanceof Error ? e : new InvariantError({ code: "BL_NON_ERROR_THROWN", where: `bundle ${id}`, value: e, rule: "a bundle fails with an Error (user functions' throws are wrapped as UserCodeError)" });
          // The runner may drop what the failed bundle wrote: cached state could be ahead of it.
          this.stateCache.clear();
          this.onFailure(err);
          this.log("ERROR", errorText(err), id);
          throw err;
        } finally {
          this.active.delete(id);
        }
      }
      case "processBundleProgress": {
        const proc = this.active.get(req.processBundleProgress.instructionId);
        const monitoringInfos = proc ? proc.monitoringInfos() : [];
        return { instructionId: id, processBundleProgress: { monitoringInfos, monitoringData: this.shortIds.data(monitoringInfos) } };
      }
      case "processBundleSplit": {
        const proc = this.active.get(req.processBundleSplit.instructionId);
        return { instructionId: id, processBundleSplit: proc ? proc.split(req.processBundleSplit) : {} };
      }
      case "finalizeBundle": {
        // The runner committed the bundle: its sources publish the progress it made. A failure is
        // reported, and the run goes on (the next finalization publishes later positions).
        const bundle = req.finalizeBundle.instructionId as string;
        for (const e of await this.finalizations.finalize(bundle)) this.log("WARN", `publishing the progress of bundle ${bundle} failed: ${errorText(e)}`, bundle);
        return { instructionId: id, finalizeBundle: {} };
      }
      case "monitoringInfos":
        return { instructionId: id, monitoringInfos: { monitoringInfo: this.shortIds.metadata(req.monitoringInfos.monitoringInfoId ?? []) } };
      case "harnessMonitoringInfos":
        return { instructionId: id, harnessMonitoringInfos: { monitoringData: {} } };
      default:
        throw new RunnerProtocolError({
          code: "BL_UNKNOWN_INSTRUCTION",
          where: `instruction ${id}`,
          value: req.request,
          rule: "Beamline's harness answers register, processBundle, processBundleProgress, processBundleSplit, finalizeBundle, monitoringInfos and harnessMonitoringInfos",
          fix: "see the runner's log; Beamline is tested with Prism and Beam's Flink runner",
        });
    }
  }

  /** Tears down DoFns and closes every channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finalizations.clear();
    // A read in progress stops now rather than at the end of its budget (a cancelled job's bundle).
    for (const proc of this.active.values()) proc.stopReads();
    for (const pool of this.idle.values()) for (const p of pool) await p.teardown().catch(() => {});
    for (const c of this.dataChannels.values()) c.close();
    for (const c of this.stateChannels.values()) c.close();
    this.control?.end();
    this.logging?.end();
    this.controlClient?.close();
    this.loggingClient?.close();
  }
}

/** The text a runner shows for a failed instruction: the Beamline error's message (with the transform), or the stack. */
export function errorText(e: unknown): string {
  if (e instanceof BeamlineError) return `${e.name} [${e.code}]: ${e.message}`;
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}
