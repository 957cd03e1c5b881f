/**
 * A Beam Job API client: prepare a job, stage its artifacts through the reverse artifact retrieval
 * stream (the job service asks, the client answers with file contents), run it, follow its state and
 * messages, and cancel it.
 */
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { BeamlineError } from "../../sdk/errors";
import { CHANNEL_OPTIONS, clientFor } from "./harness/channels";
import { MonitoringInfo, UserMetric, userMetricsFromInfos } from "./harness/metrics";
import type { Protos } from "./model/protos";

/** A Beam job's state names. */
export type JobState = "UNSPECIFIED" | "STOPPED" | "RUNNING" | "DONE" | "FAILED" | "CANCELLED" | "UPDATED" | "DRAINING" | "DRAINED" | "STARTING" | "CANCELLING" | "UPDATING";

/** States a job never leaves. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(["DONE", "FAILED", "CANCELLED", "UPDATED", "DRAINED"]);

/** A job message from the runner. */
export interface JobMessage {
  readonly importance: string;
  readonly text: string;
}

/** A job service failed to answer. */
export class JobServiceError extends BeamlineError {}

/** A file artifact the job service may ask for: its local path, by the ArtifactInformation that names it. */
export interface LocalArtifact {
  readonly path: string;
  readonly sha256: string;
  readonly stagedName: string;
}

/** The ArtifactInformation proto for a local file artifact. */
export function fileArtifact(protos: Protos, a: LocalArtifact): Record<string, unknown> {
  return {
    typeUrn: "beam:artifact:type:file:v1",
    typePayload: protos.encode("pipeline.ArtifactFilePayload", { path: a.path, sha256: a.sha256 }),
    roleUrn: "beam:artifact:role:staging_to:v1",
    rolePayload: protos.encode("pipeline.ArtifactStagingToRolePayload", { stagedName: a.stagedName }),
  };
}

function promisify<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void, what: string, endpoint: string): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((e, r) => {
      if (!e) return resolve(r);
      reject(
        new JobServiceError({
          code: "BL_JOB_SERVICE",
          domain: "external",
          retriable: e.code === grpc.status.UNAVAILABLE,
          where: `job service ${endpoint}`,
          rule: `${what} failed: ${e.details || e.message}`,
          fix: e.code === grpc.status.UNAVAILABLE ? "check that the job service runs at that address (--job-endpoint)" : "see the job service's log",
          cause: e,
        }),
      );
    }),
  );
}

/** A connection to one job service. */
export class JobClient {
  private readonly client: any;

  constructor(
    private readonly protos: Protos,
    readonly endpoint: string,
  ) {
    const Client = clientFor(protos, "job.JobService");
    this.client = new Client(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** Waits until the job service accepts connections. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (e: Error | undefined) =>
        e
          ? reject(
              new JobServiceError({
                code: "BL_JOB_SERVICE_UNREACHABLE",
                domain: "external",
                retriable: true,
                value: this.endpoint,
                rule: `no job service answered within ${Math.round(timeoutMs / 1000)} s`,
                fix: "start one (see scripts/), or pass the right --job-endpoint",
              }),
            )
          : resolve(),
      ),
    );
  }

  /** Prepares a job. */
  prepare(pipeline: object, options: Record<string, unknown>, jobName: string): Promise<{ preparationId: string; artifactStagingEndpoint: { url: string }; stagingSessionToken: string }> {
    return promisify((cb) => this.client.Prepare({ pipeline, pipelineOptions: toStruct(options), jobName }, cb), "Prepare", this.endpoint);
  }

  /**
   * Serves the job service's artifact requests for one staging token until it closes the stream:
   * resolves artifacts to themselves and streams the bytes of the files it asks for.
   */
  stageArtifacts(url: string, token: string, artifacts: readonly LocalArtifact[]): Promise<void> {
    const Client = clientFor(this.protos, "job.ArtifactStagingService");
    const client: any = new Client(url, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const byPath = new Map(artifacts.map((a) => [a.path, a]));
    return new Promise<void>((resolve, reject) => {
      const stream = client.ReverseArtifactRetrievalService();
      stream.write({ stagingToken: token });
      stream.on("data", (req: any) => {
        try {
          if (req.request === "resolveArtifact") {
            stream.write({ stagingToken: token, resolveArtifactResponse: { replacements: req.resolveArtifact.artifacts } });
          } else if (req.request === "getArtifact") {
            const info = req.getArtifact.artifact;
            const file = this.protos.decode("pipeline.ArtifactFilePayload", info.typePayload);
            const a = byPath.get(file.path);
            if (!a) throw new JobServiceError({ code: "BL_UNKNOWN_ARTIFACT", domain: "external", where: `artifact staging ${url}`, value: file.path, rule: "the job service may only ask for artifacts the job offered", fix: "see the job service's log" });
            const data = fs.readFileSync(a.path);
            const chunk = 1 << 20;
            for (let off = 0; off < data.length; off += chunk) {
              stream.write({ stagingToken: token, getArtifactResponse: { data: data.subarray(off, off + chunk) } });
            }
            stream.write({ stagingToken: token, isLast: true, getArtifactResponse: { data: Buffer.alloc(0) } });
          }
        } catch (e) {
          stream.cancel();
          reject(e);
        }
      });
      stream.on("end", () => {
        stream.end();
        client.close();
        resolve();
      });
      stream.on("error", (e: grpc.ServiceError) => {
        client.close();
        if (e.code === grpc.status.CANCELLED) resolve();
        else reject(new JobServiceError({ code: "BL_ARTIFACT_STAGING", domain: "external", where: `artifact staging ${url}`, rule: `staging failed: ${e.details || e.message}`, cause: e }));
      });
    });
  }

  /**
   * The pipeline options the job service's runner takes (`name`, `type`, and `group`: the options
   * interface), or null when the service does not serve DescribePipelineOptions.
   */
  async describeOptions(): Promise<{ name: string; type?: string; group: string }[] | null> {
    try {
      const r = await promisify<{ options?: { name: string; type?: string; group: string }[] }>((cb) => this.client.DescribePipelineOptions({}, cb), "DescribePipelineOptions", this.endpoint);
      return r.options ?? [];
    } catch (e) {
      if (e instanceof JobServiceError && (e.cause as grpc.ServiceError | undefined)?.code === grpc.status.UNIMPLEMENTED) return null;
      throw e;
    }
  }

  /** Runs a prepared job; resolves to its id. */
  async run(preparationId: string): Promise<string> {
    const r = await promisify<{ jobId: string }>((cb) => this.client.Run({ preparationId }, cb), "Run", this.endpoint);
    return r.jobId;
  }

  /**
   * The user metrics of a job (its committed values, or the attempted ones when the runner commits
   * none), or null when the job service does not serve GetJobMetrics.
   */
  async metrics(jobId: string): Promise<UserMetric[] | null> {
    let r: { metrics?: { attempted?: MonitoringInfo[]; committed?: MonitoringInfo[] } };
    try {
      r = await promisify((cb) => this.client.GetJobMetrics({ jobId }, cb), "GetJobMetrics", this.endpoint);
    } catch {
      return null;
    }
    const committed = userMetricsFromInfos(r.metrics?.committed ?? []);
    return committed.length > 0 ? committed : userMetricsFromInfos(r.metrics?.attempted ?? []);
  }

  /**
   * The monitoring infos of a job as the runner reports them now: its attempted values, or, from a
   * runner that reports only committed ones (Prism, as each bundle completes), those; null when the job
   * service serves no metrics.
   */
  async monitoringInfos(jobId: string): Promise<MonitoringInfo[] | null> {
    try {
      const r = await promisify<{ metrics?: { attempted?: MonitoringInfo[]; committed?: MonitoringInfo[] } }>((cb) => this.client.GetJobMetrics({ jobId }, cb), "GetJobMetrics", this.endpoint);
      const attempted = r.metrics?.attempted ?? [];
      return attempted.length > 0 ? attempted : (r.metrics?.committed ?? []);
    } catch {
      return null;
    }
  }

  /** Cancels a job. */
  cancel(jobId: string): Promise<unknown> {
    return promisify((cb) => this.client.Cancel({ jobId }, cb), "Cancel", this.endpoint);
  }

  /**
   * Follows a job's messages (calling `onMessage`) and state until it ends; resolves to the final state,
   * or to the last state seen when `signal` aborts the following first.
   */
  waitUntilFinish(jobId: string, onMessage: (m: JobMessage) => void, onState: (s: string) => void = () => {}, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const messages = this.client.GetMessageStream({ jobId });
      let last = "UNSPECIFIED";
      const finish = (state: string) => {
        messages.cancel();
        states.cancel();
        resolve(state);
      };
      messages.on("data", (m: any) => {
        if (m.messageResponse) onMessage({ importance: String(m.messageResponse.importance), text: m.messageResponse.messageText });
        if (m.stateResponse) {
          last = String(m.stateResponse.state);
          onState(last);
        }
      });
      messages.on("error", () => {});
      const states = this.client.GetStateStream({ jobId });
      states.on("data", (e: any) => {
        last = String(e.state);
        onState(last);
        if (TERMINAL_STATES.has(last)) setTimeout(() => finish(last), 200);
      });
      states.on("error", (e: grpc.ServiceError) => {
        if (e.code === grpc.status.CANCELLED) return;
        reject(new JobServiceError({ code: "BL_JOB_STATE", domain: "external", where: `job ${jobId}`, rule: `lost the job's state stream: ${e.details || e.message}`, retriable: true, cause: e }));
      });
      states.on("end", () => {
        if (TERMINAL_STATES.has(last)) finish(last);
      });
      signal?.addEventListener("abort", () => finish(last), { once: true });
    });
  }

  /** Closes the connection. */
  close(): void {
    this.client.close();
  }
}

/** A plain object as a google.protobuf.Struct. */
export function toStruct(o: Record<string, unknown>): Record<string, unknown> {
  const value = (v: unknown): Record<string, unknown> => {
    if (v === null || v === undefined) return { nullValue: 0 };
    if (typeof v === "number") return { numberValue: v };
    if (typeof v === "boolean") return { boolValue: v };
    if (typeof v === "string") return { stringValue: v };
    if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
    return { structValue: toStruct(v as Record<string, unknown>) };
  };
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) };
}
