/**
 * Following a Dataflow job: its state and its messages, read every poll interval until the job is in a
 * terminal state; an aborted signal (Ctrl-C) asks Dataflow to cancel the job, then follows it to its
 * end for a bounded time. Every wait is bounded: each call by its own timeout, the whole by `timeoutMs`.
 */
import { BeamlineError } from "../../sdk/errors";
import { DataflowApiError, type DataflowJobMessage, type DataflowJobsApi } from "./jobs-api";

/** The states a Dataflow job never leaves. */
export const TERMINAL_STATES: readonly string[] = ["JOB_STATE_DONE", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_UPDATED", "JOB_STATE_DRAINED"];

/** Options of {@link followJob}. */
export interface FollowOptions {
  /** Time between polls, in ms. Default 5000. */
  readonly pollIntervalMs?: number;
  /** Receives each job message once, in order. */
  readonly onMessage?: (m: DataflowJobMessage) => void;
  /** Receives each new state. */
  readonly onState?: (state: string) => void;
  /** Aborted: the job is cancelled (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** The longest the job is followed, in ms; then the run gives up following (the job goes on). Default: no limit. */
  readonly timeoutMs?: number;
  /** How long a cancelled job is followed to JOB_STATE_CANCELLED, in ms. Default 120000. */
  readonly cancelTimeoutMs?: number;
  /** Polls in a row that may fail with a retriable API error (503, 429, a dropped connection) before following gives up. Default 5. */
  readonly retries?: number;
}

/** How following ended: the job's last state, and every message read. */
export interface FollowOutcome {
  readonly state: string;
  readonly messages: readonly DataflowJobMessage[];
  /** Whether the job was asked to cancel. */
  readonly cancelRequested: boolean;
}

/** A wait of `ms` that ends early when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Follows job `jobId` until it ends (or the time runs out); cancels it when `signal` aborts. */
export async function followJob(api: DataflowJobsApi, jobId: string, o: FollowOptions = {}): Promise<FollowOutcome> {
  const interval = o.pollIntervalMs ?? 5000;
  const messages: DataflowJobMessage[] = [];
  const seen = new Set<string>();
  let since: string | undefined;
  let state = "";
  let cancelRequested = false;
  let failures = 0;
  let deadline = o.timeoutMs !== undefined ? Date.now() + o.timeoutMs : Infinity;
  const readMessages = async () => {
    let pageToken: string | undefined;
    // Every page of one listing from the same start time; the next listing starts at the newest seen.
    const from = since;
    do {
      const page = await api.messages(jobId, from, pageToken);
      for (const m of page.messages) {
        const key = m.id ?? `${m.time}|${m.messageText}`;
        if (seen.has(key)) continue;
        seen.add(key);
        messages.push(m);
        o.onMessage?.(m);
        if (m.time && (!since || m.time > since)) since = m.time;
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  };
  for (;;) {
    if (o.signal?.aborted && !cancelRequested) {
      cancelRequested = true;
      await api.cancel(jobId);
      deadline = Math.min(deadline, Date.now() + (o.cancelTimeoutMs ?? 120_000));
    }
    try {
      const job = await api.get(jobId);
      const now = job.currentState ?? "JOB_STATE_UNKNOWN";
      if (now !== state) {
        state = now;
        o.onState?.(state);
      }
      await readMessages();
      failures = 0;
    } catch (e) {
      // A passing outage of the API does not end the run (the job goes on regardless); a lasting one does.
      if (!(e instanceof DataflowApiError) || !e.retriable || ++failures > (o.retries ?? 5)) throw e;
    }
    if (TERMINAL_STATES.includes(state)) return { state, messages, cancelRequested };
    if (Date.now() >= deadline) {
      throw new BeamlineError({
        code: cancelRequested ? "BL_DATAFLOW_CANCEL_TIMEOUT" : "BL_DATAFLOW_FOLLOW_TIMEOUT",
        domain: "external",
        where: `Dataflow job ${jobId}`,
        value: state,
        rule: cancelRequested ? "the job was asked to cancel and has not ended yet" : "the job has not ended within the time given to follow it",
        fix: `see it in the console, or with gcloud dataflow jobs describe ${jobId} --region=${api.region}`,
      });
    }
    await pause(Math.min(interval, Math.max(0, deadline - Date.now())), cancelRequested ? undefined : o.signal);
  }
}
