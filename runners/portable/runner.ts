/**
 * The portable runner: translates a pipeline to the Runner API, submits it to a Beam job service,
 * serves Beamline's SDK harness to the runner (LOOPBACK: a worker pool in this process; EXTERNAL: a
 * worker pool elsewhere; PROCESS: a boot command the runner starts per worker; DOCKER: Beamline's SDK
 * image, a container the runner starts per worker), and follows the job
 * until it ends — its messages and any user function's error reach the caller.
 */
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError, UserCodeError } from "../../sdk/errors";
import { bundlePipelineFile, PIPELINE_OPTION, StagedPipeline } from "./artifact";
import { BOOT_SCRIPT } from "./boot-command";
import type { Pipeline } from "../../sdk/pipeline";
import { JobClient, JobMessage, LocalArtifact, fileArtifact } from "./jobclient";
import type { UserMetric } from "./harness/metrics";
import { beamProtos } from "./model/protos";
import { EnvironmentSpec, translate } from "./translate";
import { windowExpirationTransforms } from "./translate-stateful";
import { readTestStreamScripts, testStreamRunOptions } from "./translate-teststream";
import { inspectUnboundedReads } from "./translate-read";
import { WorkerPool } from "./harness/workerpool";
import { runnerKindOf } from "./detect";
import { checkRunnerOptions } from "./runner-options";
import { PortableJobView } from "./job-view";
import { serveUi } from "../metrics/ui";
import type { MetricsServer } from "../metrics/server";
import { PortableCheckpointing, PortableRestart, runnerSettings } from "./runner-settings";
import { WORKER_REPORTS_ENV, watchWorkerReports, WorkerReportWatch } from "./worker-reports";

/** How the runner starts Beamline's SDK harness. */
export type EnvironmentType = "LOOPBACK" | "EXTERNAL" | "PROCESS" | "DOCKER";

/** Options of {@link PortableRunner}. */
export interface PortableRunnerOptions {
  /** The job service, `host:port`. */
  readonly jobEndpoint: string;
  /**
   * The runner's name in messages (`flink`, `prism`, `portable`). What the run does never depends on
   * it: the runner is detected from the job service.
   */
  readonly runnerName?: string;
  /** Checkpoints to ask the runner for (Flink: checkpointing at that interval into that directory); refused by runners without them. */
  readonly checkpoint?: PortableCheckpointing;
  /** What the runner does when the job fails (Flink: execution retries); refused by runners without it. */
  readonly restart?: PortableRestart;
  /** LOOPBACK (default), EXTERNAL, PROCESS or DOCKER. */
  readonly environmentType?: EnvironmentType;
  /** EXTERNAL: the worker pool's `host:port`; PROCESS: the boot command (default: Beamline's own); DOCKER: the SDK image. */
  readonly environmentConfig?: string;
  /** The job's name. */
  readonly jobName?: string;
  /**
   * Beam pipeline options for the runner by Beam's names (e.g. `{ max_bundle_size: 100 }`), sent as
   * `beam:option:<name>:v1`; checked against the options the job service describes (an unknown name,
   * a value of the wrong type, or one Beamline sets from its own settings is refused).
   */
  readonly pipelineOptions?: Record<string, unknown>;
  /** Files to stage as artifacts of the environment (PROCESS environments read them back). */
  readonly artifacts?: readonly LocalArtifact[];
  /** Receives the job's messages; by default warnings and errors go to stderr. */
  readonly onMessage?: (m: JobMessage) => void;
  /** Receives the job's state changes. */
  readonly onState?: (state: string) => void;
  /**
   * The pipeline file and option values the pipeline was built from: its content-hashed bundle is staged
   * as an artifact, and PROCESS workers rebuild the pipeline from it. Required for PROCESS.
   */
  readonly definition?: { readonly file: string; readonly options: Record<string, unknown> };
  /** How long to wait for the job service to answer, in ms. Default 60000. */
  readonly connectTimeoutMs?: number;
  /** Serves a web page about the job at `http://uiHost:uiPort/` while it runs (0: any free port). */
  readonly uiPort?: number;
  /** The address the web page listens on. Default 127.0.0.1. */
  readonly uiHost?: string;
  /** Receives the web page's URL once it is served. */
  readonly onUiServer?: (url: string) => void;
  /** Cancels the run (an unbounded pipeline runs until cancelled): the job is cancelled and the run rejects with BL_CANCELLED. */
  readonly signal?: AbortSignal;
  /**
   * Called with the job's name once a job the run cancelled ended on the job service: ends what the
   * service's cancel does not reach (the job Beam's Flink job server submitted to a session cluster).
   */
  readonly afterCancel?: (jobName: string) => Promise<unknown>;
}

/** The result of a portable run. */
export interface PortableResult {
  readonly state: "DONE";
  readonly jobId: string;
  /** The job's messages, in order. */
  readonly messages: readonly JobMessage[];
  /** The user metrics the runner reported for the job (empty when it reports none). */
  readonly metrics: readonly UserMetric[];
}

/** A portable job ended in another state than DONE. */
export class JobFailedError extends BeamlineError {}

/** Runs pipelines on any Beam job service. */
export class PortableRunner {
  constructor(private readonly options: PortableRunnerOptions) {}

  /** Translates, submits and follows `pipeline`; resolves when it is DONE, throws when it fails. */
  async run(pipeline: Pipeline): Promise<PortableResult> {
    const o = this.options;
    const graph = pipeline.graph();
    const fingerprint = pipeline.fingerprint();
    const protos = beamProtos();
    const envType = o.environmentType ?? "LOOPBACK";
    const failures: Error[] = [];
    let pool: WorkerPool | null = null;
    let reports: WorkerReportWatch | null = null;
    let environment: EnvironmentSpec;
    const artifacts = [...(o.artifacts ?? [])];
    const beamlineOptions: Record<string, unknown> = {};
    if (o.definition) {
      const bundle = bundlePipelineFile(o.definition.file);
      artifacts.push(bundle);
      beamlineOptions[PIPELINE_OPTION] = JSON.stringify({ module: bundle.stagedName, options: o.definition.options } satisfies StagedPipeline);
    }
    const dependencies = artifacts.map((a) => fileArtifact(protos, a)) as unknown as EnvironmentSpec["dependencies"];
    if (envType === "PROCESS") {
      if (!o.definition) throw missingConfig("PROCESS", "the pipeline file its workers rebuild the pipeline from (run it with `beamline run <file>`, or pass `definition`)");
      const command = o.environmentConfig || BOOT_SCRIPT;
      reports = watchWorkerReports(os.tmpdir());
      environment = { urn: "beam:env:process:v1", payload: protos.encode("pipeline.ProcessPayload", { command, env: { [WORKER_REPORTS_ENV]: reports.dir } }), dependencies };
    } else if (envType === "DOCKER") {
      // The container shares no files with this machine: its boot fetches the staged bundle from the runner.
      if (!o.definition) throw missingConfig("DOCKER", "the pipeline file its workers rebuild the pipeline from (run it with `beamline run <file>`, or pass `definition`)");
      if (!o.environmentConfig) throw missingConfig("DOCKER", "the SDK harness image built from containers/sdk/Dockerfile (see README, \"Portable runners: Flink and Prism\")");
      environment = { urn: "beam:env:docker:v1", payload: protos.encode("pipeline.DockerPayload", { containerImage: o.environmentConfig }), dependencies };
    } else {
      let address = o.environmentConfig;
      if (envType === "LOOPBACK") {
        pool = new WorkerPool(protos, { graph, fingerprint, fn: (n) => pipeline.fn(n) }, (e) => failures.push(e));
        address = await pool.start();
      } else if (!address) throw missingConfig("EXTERNAL", "the worker pool's host:port");
      environment = { urn: "beam:env:external:v1", payload: protos.encode("pipeline.ExternalPayload", { endpoint: { url: address } }), dependencies };
    }
    const client = new JobClient(protos, o.jobEndpoint);
    let jobId = "";
    let name = o.runnerName ?? "portable";
    let view: PortableJobView | null = null;
    let ui: { readonly server: MetricsServer; stopPolling(): void } | null = null;
    // Cancelled by the caller's signal or by Ctrl-C: the job is cancelled, and the run rejects with BL_CANCELLED.
    let cancelRequested = false;
    const onSigint = () => {
      cancelRequested = true;
      if (jobId) void client.cancel(jobId).catch(() => {});
    };
    try {
      await client.waitForReady(o.connectTimeoutMs ?? 60_000);
      // A service that does not describe its options is taken for Prism-like; one that does is asked which runner it fronts.
      const described = await client.describeOptions();
      const runner = runnerKindOf(described ?? []);
      const userOptions = checkRunnerOptions(o.pipelineOptions ?? {}, described, runner);
      name = o.runnerName && o.runnerName !== runner ? `${o.runnerName} (${runner})` : runner;
      const unboundedReads = inspectUnboundedReads(graph, (n) => pipeline.fn(n));
      const settings = runnerSettings(runner, { checkpoint: o.checkpoint, restart: o.restart, endless: unboundedReads.all.length > 0 });
      const testStreams = await readTestStreamScripts(graph, (n) => pipeline.fn(n));
      const windowExpiration = windowExpirationTransforms(graph, (n) => pipeline.fn(n));
      const parallelism = typeof userOptions.parallelism === "number" ? userOptions.parallelism : undefined;
      const { pipeline: proto } = translate(graph, protos, { environment, fingerprint, runner, testStreams, windowExpiration, parallelism, unboundedReads, stableInput: runner === "flink" && o.checkpoint !== undefined });
      const jobName = o.jobName ?? `beamline-${fingerprint.slice(0, 8)}-${Date.now()}`;
      const options: Record<string, unknown> = { "beam:option:job_name:v1": jobName };
      // Flink's batch translation drops pane information; its streaming one follows triggers and panes
      // as the direct runner does (and still ends when the bounded input is done).
      const streaming = runner === "flink" ? { streaming: true } : {};
      const extra = { ...streaming, ...testStreamRunOptions(runner, testStreams), ...settings, ...beamlineOptions, ...userOptions };
      for (const [k, v] of Object.entries(extra)) options[`beam:option:${k}:v1`] = v;
      if (o.uiPort !== undefined) {
        view = new PortableJobView(graph, name);
        const shown = { runner: name, jobEndpoint: o.jobEndpoint, environmentType: envType, ...o.pipelineOptions };
        const server = await serveUi(view.live, view.uiRun(jobName, shown), o.uiPort, o.uiHost);
        ui = { server, stopPolling: () => {} };
        o.onUiServer?.(`${server.url}/`);
      }
      const prep = await client.prepare(proto, options, jobName);
      if (prep.artifactStagingEndpoint?.url) await client.stageArtifacts(prep.artifactStagingEndpoint.url, prep.stagingSessionToken, artifacts);
      jobId = await client.run(prep.preparationId);
      o.signal?.addEventListener("abort", onSigint, { once: true });
      if (o.signal?.aborted) onSigint();
      if (view && ui) {
        const watched = view;
        watched.jobId = jobId;
        // The job's metrics, polled while it runs (one request in flight at a time).
        let polling = false;
        const timer = setInterval(() => {
          if (polling) return;
          polling = true;
          void client.monitoringInfos(jobId).then((infos) => infos && watched.onMetrics(infos)).finally(() => (polling = false));
        }, UI_METRICS_INTERVAL_MS);
        ui.stopPolling = () => clearInterval(timer);
      }
      process.once("SIGINT", onSigint);
      const messages: JobMessage[] = [];
      const onMessage = o.onMessage ?? defaultMessageSink;
      const following = new AbortController();
      const finished = client.waitUntilFinish(
        jobId,
        (m) => {
          messages.push(m);
          onMessage(m);
          view?.onMessage(m);
        },
        (state) => {
          view?.onState(state);
          o.onState?.(state);
        },
        following.signal,
      );
      const worker = reports ? reports.failure.then((text) => ({ text })) : new Promise<never>(() => {});
      const outcome = await Promise.race([finished, worker]);
      if (typeof outcome !== "string") {
        following.abort();
        await Promise.race([client.cancel(jobId).catch(() => {}), new Promise((r) => setTimeout(r, CANCEL_TIMEOUT_MS).unref())]);
        await o.afterCancel?.(jobName).catch(() => {});
        throw workerFailure(name, jobId, outcome.text);
      }
      const state = outcome;
      if (cancelRequested && state !== "DONE") {
        await o.afterCancel?.(jobName).catch(() => {});
        throw cancelled(name, jobId, state);
      }
      if (state !== "DONE") throw jobFailure(name, jobId, state, failures, messages);
      return { state: "DONE", jobId, messages, metrics: (await client.metrics(jobId)) ?? [] };
    } finally {
      ui?.stopPolling();
      await ui?.server.close();
      process.removeListener("SIGINT", onSigint);
      o.signal?.removeEventListener("abort", onSigint);
      client.close();
      reports?.stop();
      if (pool) await pool.stop();
    }
  }
}

/** How often the web page's metrics are read from the job service, in ms. */
const UI_METRICS_INTERVAL_MS = 1000;

/** How long a run waits for the job service to cancel a job whose worker failed, in ms. */
const CANCEL_TIMEOUT_MS = 10_000;

/** The error of a job whose PROCESS worker failed: the worker's own error, as it left it for this process. */
function workerFailure(runner: string, jobId: string, text: string): BeamlineError {
  return new JobFailedError({
    code: "BL_WORKER_FAILED",
    where: `${runner} job ${jobId}`,
    rule: `a worker the runner started failed, and the job was cancelled: ${text.trim().split("\n").slice(0, 12).join("\n")}`,
    fix: "see the worker's error above; a worker the runner rejects (not registered) was started with arguments the runner does not match",
  });
}

/** The error of a run its caller cancelled. */
function cancelled(runner: string, jobId: string, state: string): BeamlineError {
  return new BeamlineError({ code: "BL_CANCELLED", domain: "user", where: `${runner} job ${jobId}`, value: state, rule: "the run was cancelled", fix: "run it again to completion" });
}

function defaultMessageSink(m: JobMessage): void {
  if (/ERROR|WARNING/.test(m.importance)) process.stderr.write(`[job ${m.importance.replace("JOB_MESSAGE_", "").toLowerCase()}] ${m.text}\n`);
}

function missingConfig(env: string, what: string): BeamlineError {
  return new BeamlineError({
    code: "BL_ENVIRONMENT_CONFIG",
    value: env,
    rule: `the ${env} environment needs ${what}`,
    fix: "pass it with --environment-config=…",
  });
}

/** An error's message without its fix sentence (which the job failure carries once, as its own fix). */
function withoutFix(e: BeamlineError): string {
  const fix = e.fix ? (e.fix.endsWith(".") ? e.fix : `${e.fix}.`) : "";
  return fix && e.message.endsWith(fix) ? e.message.slice(0, -fix.length).trimEnd() : e.message;
}

/** The error of a failed job: the user function's own error when this process saw it, else the runner's messages. */
export function jobFailure(runner: string, jobId: string, state: string, failures: Error[], messages: JobMessage[]): BeamlineError {
  const user = failures.find((e) => e instanceof UserCodeError) ?? failures.find((e) => e instanceof BeamlineError);
  if (user instanceof BeamlineError) {
    return new JobFailedError({
      code: "BL_JOB_FAILED",
      where: `${runner} job ${jobId}`,
      rule: `the job ${state}: ${withoutFix(user)}`,
      fix: user.fix,
      cause: user,
    });
  }
  const errors = messages.filter((m) => /ERROR/.test(m.importance)).map((m) => m.text);
  const detail = failures[0]?.message ?? errors.find((t) => /Beamline|transform/.test(t)) ?? errors[0] ?? "the runner gave no error message";
  return new JobFailedError({
    code: "BL_JOB_FAILED",
    where: `${runner} job ${jobId}`,
    rule: `the job ${state}: ${detail.split("\n").slice(0, 12).join("\n")}`,
    fix: "see the messages above",
    ...(failures.length ? { cause: failures[0] } : {}),
  });
}
