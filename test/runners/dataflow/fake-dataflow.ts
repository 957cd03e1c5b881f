/**
 * A fake of Dataflow's v1b3 jobs endpoint on loopback: jobs.create keeps the request and answers a new
 * job; each jobs.get moves the job one state along its script; jobs.messages.list returns the messages
 * of the states reached so far (paged, from `startTime` on); jobs.update with JOB_STATE_CANCELLED makes
 * the job cancel (CANCELLING, then CANCELLED). Every request is recorded.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** A message the fake's job shows once it reaches `atState` (index into the script). */
export interface FakeMessage {
  readonly atState: number;
  readonly importance: string;
  readonly text: string;
}

/** How the fake's jobs behave. */
export interface FakeScript {
  /** The states successive jobs.get calls return (the last one repeats). */
  readonly states: readonly string[];
  readonly messages?: readonly FakeMessage[];
  /** Messages per page of jobs.messages.list. Default 2 (so that paging is exercised). */
  readonly pageSize?: number;
  /** What jobs.getMetrics answers. */
  readonly metrics?: readonly unknown[];
  /** Which jobs.get calls (counted from 0) answer 503 UNAVAILABLE instead, leaving the job where it is. */
  readonly unavailable?: readonly number[];
}

/** A recorded request. */
export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body?: unknown;
  readonly authorization?: string;
}

/** A running fake. */
export interface FakeDataflow {
  /** Its root URL, `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly calls: FakeCall[];
  /** The job requests created, in order. */
  readonly created: Record<string, unknown>[];
  /** Resolves when a job has been read `n` times. */
  gets(n: number): Promise<void>;
  stop(): Promise<void>;
}

interface FakeJob {
  readonly id: string;
  readonly name: string;
  step: number;
  cancelled: number | null;
  reached: string[];
}

/** Starts the fake; every job it creates follows `script`. */
export async function startFakeDataflow(script: FakeScript): Promise<FakeDataflow> {
  const calls: FakeCall[] = [];
  const created: Record<string, unknown>[] = [];
  const jobs = new Map<string, FakeJob>();
  let getCount = 0;
  let reads = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const base = new Date("2026-01-01T00:00:00Z").getTime();
  const stateOf = (job: FakeJob): string => {
    if (job.cancelled !== null) return job.step > job.cancelled ? "JOB_STATE_CANCELLED" : "JOB_STATE_CANCELLING";
    return script.states[Math.min(job.step, script.states.length - 1)];
  };
  const messagesOf = (job: FakeJob) =>
    (script.messages ?? [])
      .map((m, i) => ({ ...m, i }))
      .filter((m) => m.atState < job.step)
      .map((m) => ({ id: `m${m.i}`, time: new Date(base + m.i * 1000).toISOString(), messageImportance: m.importance, messageText: m.text }));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? JSON.parse(text) : undefined;
      calls.push({ method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization: req.headers.authorization });
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const m = /^\/v1b3\/projects\/([^/]+)\/locations\/([^/]+)\/jobs(?:\/([^/]+))?(?:\/(messages|metrics))?$/.exec(url.pathname);
      if (!m) return send(404, { error: { code: 404, message: `no such method ${url.pathname}` } });
      const [, , , id, part] = m;
      const messages = part === "messages";
      if (!id && req.method === "POST") {
        const job: FakeJob = { id: `2026-01-01_00_00_00-${jobs.size + 1}`, name: String(body?.name), step: 0, cancelled: null, reached: [] };
        jobs.set(job.id, job);
        created.push(body);
        return send(200, { id: job.id, name: job.name, currentState: "JOB_STATE_QUEUED" });
      }
      const job = id ? jobs.get(decodeURIComponent(id)) : undefined;
      if (!job) return send(404, { error: { code: 404, message: `job ${id} not found` } });
      if (messages) {
        const since = url.searchParams.get("startTime");
        const all = messagesOf(job).filter((x) => !since || x.time >= since);
        const size = script.pageSize ?? 2;
        const from = Number(url.searchParams.get("pageToken") ?? "0");
        const page = all.slice(from, from + size);
        return send(200, { jobMessages: page, ...(from + size < all.length ? { nextPageToken: String(from + size) } : {}) });
      }
      if (part === "metrics") return send(200, { metrics: script.metrics ?? [] });
      if (req.method === "PUT") {
        if (body?.requestedState === "JOB_STATE_CANCELLED") job.cancelled = job.step;
        return send(200, { id: job.id, currentState: stateOf(job) });
      }
      if (script.unavailable?.includes(reads++)) return send(503, { error: { code: 503, message: "The service is currently unavailable." } });
      const state = stateOf(job);
      job.reached.push(state);
      job.step++;
      getCount++;
      for (const w of waiters.filter((x) => getCount >= x.n)) w.resolve();
      return send(200, { id: job.id, name: job.name, currentState: state, currentStateTime: new Date(base + job.step * 1000).toISOString() });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    created,
    gets: (n) =>
      new Promise((resolve, reject) => {
        if (getCount >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`the job was read ${getCount} times, not ${n}, within 20 s`)), 20_000);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
