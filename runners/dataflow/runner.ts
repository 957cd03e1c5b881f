/**
 * The Dataflow runner: checks its options, translates the pipeline for Dataflow (refusing, in one
 * error, everything Dataflow cannot run, before anything is staged), stages the pipeline proto and the
 * content-hashed bundle to Cloud Storage, creates the Runner v2 job with the v1b3 API, prints its id
 * and console link, and follows it to its end (or returns at once with `detach`); Ctrl-C cancels it.
 * With `dataflowJobFile` it writes the job request there and neither stages nor submits.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OptionError } from "../../sdk/errors";
import type { Pipeline } from "../../sdk/pipeline";
import type { Runner, RunResult } from "../../sdk/runner";
import { storageFor } from "../../transforms/io/files/storage-for";
import { bundlePipelineFile, PIPELINE_OPTION, StagedPipeline } from "../portable/artifact";
import { beamProtos } from "../portable/model/protos";
import { translate } from "../portable/translate";
import { windowExpirationTransforms } from "../portable/translate-stateful";
import { readTestStreamScripts } from "../portable/translate-teststream";
import { dataflowEnvironment, stagedUrl } from "./environment";
import { followJob } from "./follow";
import { jobEndError } from "./job-end";
import { countersFromMetrics } from "./job-metrics";
import { dataflowJobRequest, PipelineEnvironments } from "./job-request";
import { DataflowJobMessage, DataflowJobsApi } from "./jobs-api";
import { dataflowSettings, DataflowRunOptions, DataflowSettings } from "./options";
import { pubsubTranslation } from "./pubsub-translation";
import { pipelineUrl, sha256Hex, stageBundle, stagePipeline, STAGED_PIPELINE_NAME } from "./staging";

/** Options of the Dataflow runner: the Dataflow options and how the run reports. */
export interface DataflowRunnerOptions extends DataflowRunOptions {
  /** The pipeline file and option values the pipeline was built from; workers rebuild the pipeline from its staged bundle. Required. */
  readonly definition?: { readonly file: string; readonly options: Record<string, unknown> };
  /** Receives the staged files' URLs (the pipeline proto, then the bundle) once they are uploaded. */
  readonly onStaged?: (urls: readonly string[]) => void;
  /** Receives the job's id and console link once it is created; by default they go to stderr. */
  readonly onSubmitted?: (job: { readonly id: string; readonly consoleUrl: string }) => void;
  /** Receives each job message; by default warnings and errors go to stderr. */
  readonly onMessage?: (m: DataflowJobMessage) => void;
  /** Receives each new job state. */
  readonly onState?: (state: string) => void;
  /** Aborted: the job is cancelled (besides Ctrl-C, which always cancels a followed job). */
  readonly signal?: AbortSignal;
  /** Time between polls of the job's state and messages, in ms. Default 5000. */
  readonly pollIntervalMs?: number;
  /** The longest the job is followed, in ms. Default: until it ends. */
  readonly followTimeoutMs?: number;
}

/** What a Dataflow run resolves to. */
export interface DataflowRunResult extends RunResult {
  /** `DONE` when the job finished, `SUBMITTED` when detached, `WRITTEN` when the request went to a file. */
  readonly state: "DONE" | "SUBMITTED" | "WRITTEN";
  readonly runner: "dataflow";
  /** The job's id (none when the request was written to a file). */
  readonly jobId?: string;
  /** The job's page in the Cloud console. */
  readonly consoleUrl?: string;
  /** Dataflow's last state of the job, e.g. `JOB_STATE_DONE`. */
  readonly jobState?: string;
  /** The job's messages read while following it. */
  readonly messages: readonly DataflowJobMessage[];
  /** The job request sent (or written). */
  readonly request: Record<string, unknown>;
}

/** The SDK's name and version, as the user agent of job requests. */
export function beamlineSdk(): { name: string; version: string } {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")) as { version: string };
  return { name: "Beamline TypeScript SDK", version: pkg.version };
}

/** The job's page in the Cloud console. */
export function consoleUrl(project: string, region: string, jobId: string): string {
  return `https://console.cloud.google.com/dataflow/jobs/${region}/${encodeURIComponent(jobId)}?project=${encodeURIComponent(project)}`;
}

function defaultMessageSink(m: DataflowJobMessage): void {
  if (/ERROR|WARNING/.test(m.messageImportance ?? "")) process.stderr.write(`[dataflow ${(m.messageImportance ?? "").replace("JOB_MESSAGE_", "").toLowerCase()}] ${m.messageText}\n`);
}

/** The translated pipeline (the proto staged, and its bytes), and the request inputs that do not need staging. */
export async function prepareDataflowPipeline(pipeline: Pipeline, s: DataflowSettings, definition: NonNullable<DataflowRunnerOptions["definition"]>) {
  const graph = pipeline.graph();
  const fingerprint = pipeline.fingerprint();
  const protos = beamProtos();
  const bundle = bundlePipelineFile(definition.file);
  const environment = dataflowEnvironment(protos, s.sdkContainerImage, s.stagingLocation, bundle);
  const testStreams = await readTestStreamScripts(graph, (n) => pipeline.fn(n));
  const windowExpiration = windowExpirationTransforms(graph, (n) => pipeline.fn(n));
  // Throws one UnsupportedFeatureError listing everything Dataflow cannot run: nothing is staged yet.
  const { pipeline: proto } = translate(graph, protos, { environment, fingerprint, runner: "dataflow", testStreams, windowExpiration, native: pubsubTranslation(s.streaming) });
  const bytes = protos.encode("pipeline.Pipeline", proto);
  const components = proto.components as { transforms: PipelineEnvironments["components"]["transforms"]; environments: Record<string, { urn: string; capabilities?: string[] }> };
  const environments = Object.fromEntries(Object.entries(components.environments).map(([id, e]) => [id, { ...e, image: s.sdkContainerImage }]));
  const staged: StagedPipeline = { module: bundle.stagedName, options: definition.options };
  return { proto, bundle, bytes, environments: { components: { transforms: components.transforms, environments } }, pipelineOption: JSON.stringify(staged) };
}

/** `s`, streaming when `pipeline` has an unbounded PCollection (Beam's DataflowRunner switches such jobs to streaming too). */
export function streamingWhenUnbounded(pipeline: Pipeline, s: DataflowSettings): DataflowSettings {
  return s.streaming || Object.values(pipeline.graph().pcollections).every((pc) => pc.bounded) ? s : { ...s, streaming: true };
}

/** Runs `pipeline` on Dataflow. */
export async function runDataflow(pipeline: Pipeline, o: DataflowRunnerOptions = {}): Promise<DataflowRunResult> {
  const definition = o.definition;
  const given = dataflowSettings(o, { jobBase: definition ? path.basename(definition.file).replace(/\.[cm]?[jt]s$/, "") : "pipeline", version: beamlineSdk().version });
  if (!definition) {
    throw new OptionError({
      code: "BL_DATAFLOW_NEEDS_PIPELINE_FILE",
      value: "definition",
      rule: "Dataflow's workers rebuild the pipeline from its pipeline file, staged with the job, and none was given",
      fix: "run it with `beamline run <file> --runner=dataflow …`, or pass `definition: { file, options }`",
    });
  }
  // A pipeline reading unbounded data (Pub/Sub) runs as a streaming job, as Beam's DataflowRunner infers it.
  const s = streamingWhenUnbounded(pipeline, given);
  const prepared = await prepareDataflowPipeline(pipeline, s, definition);
  const stagedPipeline = { url: pipelineUrl(s.stagingLocation, s.jobName), name: STAGED_PIPELINE_NAME, sha256: sha256Hex(prepared.bytes) };
  const bundleFile = { url: stagedUrl(s.stagingLocation, prepared.bundle.stagedName), name: prepared.bundle.stagedName, sha256: prepared.bundle.sha256 };
  const request = dataflowJobRequest({
    settings: s,
    pipeline: prepared.environments,
    stagedPipeline,
    packages: [bundleFile],
    pipelineOptions: { [PIPELINE_OPTION]: prepared.pipelineOption },
    sdk: beamlineSdk(),
  });
  const metrics = { counters: new Map<string, ReadonlyMap<string, number>>() };
  if (s.dataflowJobFile) {
    await storageFor(s.dataflowJobFile).writeSmall(s.dataflowJobFile, `${JSON.stringify(request, null, 2)}\n`);
    return { state: "WRITTEN", runner: "dataflow", messages: [], request, metrics };
  }
  await stageBundle(s.stagingLocation, prepared.bundle);
  await stagePipeline(stagedPipeline.url, prepared.bytes);
  o.onStaged?.([stagedPipeline.url, bundleFile.url]);
  const api = new DataflowJobsApi(s.dataflowEndpoint, s.project, s.region);
  const job = await api.create(request);
  const link = consoleUrl(s.project, s.region, job.id);
  (o.onSubmitted ?? ((j) => process.stderr.write(`Dataflow job ${j.id}: ${j.consoleUrl}\n`)))({ id: job.id, consoleUrl: link });
  if (s.detach) return { state: "SUBMITTED", runner: "dataflow", jobId: job.id, consoleUrl: link, jobState: job.currentState, messages: [], request, metrics };
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  const onAbort = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) interrupt.abort();
  try {
    const outcome = await followJob(api, job.id, { pollIntervalMs: o.pollIntervalMs, onMessage: o.onMessage ?? defaultMessageSink, onState: o.onState, signal: interrupt.signal, timeoutMs: o.followTimeoutMs });
    const failure = jobEndError(outcome, job.id, link);
    if (failure) throw failure;
    return { state: "DONE", runner: "dataflow", jobId: job.id, consoleUrl: link, jobState: outcome.state, messages: outcome.messages, request, metrics: { counters: countersFromMetrics(await api.metrics(job.id)) } };
  } finally {
    process.removeListener("SIGINT", onSigint);
    o.signal?.removeEventListener("abort", onAbort);
  }
}

/** The Dataflow runner behind the {@link Runner} contract. */
export const dataflowRunner: Runner<DataflowRunnerOptions, DataflowRunResult> = { name: "dataflow", run: runDataflow };
