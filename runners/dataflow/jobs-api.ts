/**
 * The Dataflow jobs API (v1b3, REST): create a job, read it, read its messages, ask it to cancel.
 * Calls go to a configurable root URL (a fake in tests) with a bounded time each; credentials are
 * Application Default Credentials (google-auth-library), sent only over https.
 */
import { BeamlineError } from "../../sdk/errors";

/** A Dataflow job as the API returns it (the fields Beamline reads). */
export interface DataflowJob {
  readonly id: string;
  readonly name?: string;
  readonly currentState?: string;
  readonly currentStateTime?: string;
  readonly [field: string]: unknown;
}

/** One job message. */
export interface DataflowJobMessage {
  readonly id?: string;
  readonly time?: string;
  readonly messageImportance?: string;
  readonly messageText?: string;
}

/** One metric of a job (projects.locations.jobs.getMetrics), as far as Beamline reads it. */
export interface DataflowMetricUpdate {
  readonly name?: { readonly origin?: string; readonly name?: string; readonly context?: Record<string, string> };
  readonly scalar?: number | string;
  readonly distribution?: { readonly count?: number | string; readonly sum?: number | string };
}

/** A call to the Dataflow API failed. */
export class DataflowApiError extends BeamlineError {}

/** Headers that authorize a call: ADC's bearer token, or none. */
export type AuthHeaders = () => Promise<Record<string, string>>;

/** How long one API call may take, in ms. */
export const API_CALL_TIMEOUT_MS = 60_000;

/** Application Default Credentials' headers for the cloud-platform scope, loaded on first use. */
export function applicationDefaultCredentials(): AuthHeaders {
  let auth: { getRequestHeaders(): Promise<Headers | Record<string, string>> } | null = null;
  return async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    auth ??= new (require("google-auth-library") as typeof import("google-auth-library")).GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
    try {
      const h = await auth.getRequestHeaders();
      return h instanceof Headers ? Object.fromEntries(h.entries()) : { ...h };
    } catch (e) {
      throw new DataflowApiError({
        code: "BL_DATAFLOW_CREDENTIALS",
        domain: "external",
        rule: `no Application Default Credentials: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
        fix: "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file",
        cause: e,
      });
    }
  };
}

/** The jobs of one project and region. */
export class DataflowJobsApi {
  private readonly base: string;

  constructor(
    root: string,
    readonly project: string,
    readonly region: string,
    private readonly auth: AuthHeaders = root.startsWith("https:") ? applicationDefaultCredentials() : async () => ({}),
  ) {
    this.base = `${root.replace(/\/+$/, "")}/v1b3/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(region)}/jobs`;
  }

  /** projects.locations.jobs.create. */
  create(job: object): Promise<DataflowJob> {
    return this.call("POST", "", "creating the job", job);
  }

  /** projects.locations.jobs.get. */
  get(jobId: string): Promise<DataflowJob> {
    return this.call("GET", `/${encodeURIComponent(jobId)}?view=JOB_VIEW_SUMMARY`, "reading the job's state");
  }

  /** One page of projects.locations.jobs.messages.list, from `startTime` on. */
  async messages(jobId: string, startTime?: string, pageToken?: string): Promise<{ messages: DataflowJobMessage[]; nextPageToken?: string }> {
    const q = new URLSearchParams({ minimumImportance: "JOB_MESSAGE_BASIC" });
    if (startTime) q.set("startTime", startTime);
    if (pageToken) q.set("pageToken", pageToken);
    const r = await this.call<{ jobMessages?: DataflowJobMessage[]; nextPageToken?: string }>("GET", `/${encodeURIComponent(jobId)}/messages?${q}`, "reading the job's messages");
    return { messages: r.jobMessages ?? [], ...(r.nextPageToken ? { nextPageToken: r.nextPageToken } : {}) };
  }

  /** projects.locations.jobs.getMetrics: the job's metrics now. */
  async metrics(jobId: string): Promise<DataflowMetricUpdate[]> {
    const r = await this.call<{ metrics?: DataflowMetricUpdate[] }>("GET", `/${encodeURIComponent(jobId)}/metrics`, "reading the job's metrics");
    return r.metrics ?? [];
  }

  /** projects.locations.jobs.update asking for JOB_STATE_CANCELLED. */
  cancel(jobId: string): Promise<DataflowJob> {
    return this.call("PUT", `/${encodeURIComponent(jobId)}`, "cancelling the job", { requestedState: "JOB_STATE_CANCELLED" });
  }

  private async call<T = DataflowJob>(method: string, suffix: string, what: string, body?: object): Promise<T> {
    const url = this.base + suffix;
    const headers = { ...(await this.auth()), ...(body ? { "content-type": "application/json" } : {}) };
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(API_CALL_TIMEOUT_MS) });
    } catch (e) {
      throw new DataflowApiError({ code: "BL_DATAFLOW_API", domain: "external", retriable: true, where: `Dataflow API ${url}`, rule: `${what} failed: ${e instanceof Error ? e.message : String(e)}`, fix: "check the network, or --dataflow-endpoint", cause: e });
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 500);
      try {
        detail = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? detail;
      } catch {
        // not JSON: the text as it is
      }
      const retriable = res.status === 429 || res.status >= 500;
      const fix =
        res.status === 403 ? "check that the Dataflow API is enabled in the project and that you have the Dataflow Developer role"
        : res.status === 404 ? "check --project and --region"
        : "see the message";
      throw new DataflowApiError({ code: "BL_DATAFLOW_API", domain: res.status === 400 ? "user" : "external", retriable, where: `Dataflow API ${method} ${url}`, value: res.status, rule: `${what} failed: ${detail}`, fix });
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
