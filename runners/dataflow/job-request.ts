/**
 * The Dataflow job request (v1b3 `Job`) for a staged pipeline, built the way Beam Python's
 * DataflowRunner builds it for Runner v2: the graph travels only in the staged pipeline proto
 * (`pipelineUrl`, with its SHA-256 as `pipelineProtoHash`) and the request has no `steps`; the worker
 * pool names an SDK harness container image per environment of the pipeline's transforms, and the
 * Runner v2 experiments are set. See `test/runners/dataflow/fixtures/` for the request Beam Python writes.
 */
import { randomInt } from "node:crypto";
import type { DataflowSettings } from "./options";
import type { StagedFile } from "./staging";

/** The major version of Dataflow's FnAPI worker environment Beam's SDKs ask for. */
export const FNAPI_ENVIRONMENT_MAJOR_VERSION = "8";

/** The experiments that make a job Runner v2 (portable job submission, unified worker, Fn API). */
export const RUNNER_V2_EXPERIMENTS = ["beam_fn_api", "use_unified_worker", "use_runner_v2", "use_portable_job_submission", "use_multiple_sdk_containers"] as const;

/** What streaming jobs add: Runner v2 runs streaming only on Streaming Engine. */
export const STREAMING_EXPERIMENTS = ["enable_streaming_engine", "enable_windmill_service"] as const;

/** The capability that lets one harness container process bundles on every core. */
const MULTI_CORE_BUNDLE_PROCESSING = "beam:protocol:multi_core_bundle_processing:v1";

/** The pipeline proto facts the request needs: its environments and which transforms use them. */
export interface PipelineEnvironments {
  readonly components: {
    readonly transforms: Record<string, { readonly environmentId?: string }>;
    readonly environments: Record<string, { readonly urn: string; readonly capabilities?: readonly string[]; readonly image: string }>;
  };
}

/** What {@link dataflowJobRequest} builds the request from. */
export interface JobRequestInput {
  readonly settings: DataflowSettings;
  /** The translated pipeline's environments (with each DOCKER environment's image). */
  readonly pipeline: PipelineEnvironments;
  /** The staged pipeline proto. */
  readonly stagedPipeline: StagedFile;
  /** The staged files the workers need (the pipeline's bundle). */
  readonly packages: readonly StagedFile[];
  /** Extra pipeline options workers read (Beamline's `beamline_pipeline`). */
  readonly pipelineOptions: Record<string, unknown>;
  /** The SDK's name and version in the user agent. */
  readonly sdk: { readonly name: string; readonly version: string };
  /** When the request is made (its client request id). */
  readonly now?: Date;
}

/** `gs://bucket/x` as Dataflow's environment fields spell it: `storage.googleapis.com/bucket/x`. */
export function storageApiPath(gcs: string): string {
  return gcs.replace(/^gs:\//, "storage.googleapis.com");
}

/** A client request id as Beam's SDKs make it: the UTC time to microseconds and a random number. */
export function clientRequestId(now: Date): string {
  const t = now.toISOString().replace(/[-:T.Z]/g, "");
  return `${t}000-${randomInt(1000, 10000)}`;
}

/** The SDK harness container image of each environment some transform runs in, sorted by environment id. */
export function sdkHarnessContainerImages(pipeline: PipelineEnvironments): Record<string, unknown>[] {
  const used = new Set<string>();
  for (const t of Object.values(pipeline.components.transforms)) if (t.environmentId) used.add(t.environmentId);
  return [...used].sort().map((id) => {
    const env = pipeline.components.environments[id];
    const capabilities = [...(env.capabilities ?? [])];
    return { containerImage: env.image, useSingleCorePerContainer: !capabilities.includes(MULTI_CORE_BUNDLE_PROCESSING), environmentId: id, capabilities };
  });
}

/** The v1b3 `Job` to create for a staged pipeline. */
export function dataflowJobRequest(input: JobRequestInput): Record<string, unknown> {
  const s = input.settings;
  const experiments = [...RUNNER_V2_EXPERIMENTS, ...(s.streaming ? STREAMING_EXPERIMENTS : [])];
  const images = sdkHarnessContainerImages(input.pipeline);
  const pool: Record<string, unknown> = {
    kind: "harness",
    packages: input.packages.map((p) => ({ location: storageApiPath(p.url), name: p.name })),
    autoscalingSettings: s.maxWorkers !== undefined ? { maxNumWorkers: s.maxWorkers } : {},
    ...(s.network ? { network: s.network } : {}),
    ...(s.subnetwork ? { subnetwork: s.subnetwork } : {}),
    sdkHarnessContainerImages: images,
    // Dataflow expects the image here too when there is one environment.
    ...(images.length === 1 ? { workerHarnessContainerImage: images[0].containerImage } : images.length === 0 ? { workerHarnessContainerImage: s.sdkContainerImage } : {}),
    // Streaming workers keep their state on a separate data disk.
    ...(s.streaming ? { dataDisks: [{}] } : {}),
  };
  const options: Record<string, unknown> = {
    runner: "DataflowRunner",
    project: s.project,
    region: s.region,
    job_name: s.jobName,
    temp_location: s.tempLocation,
    staging_location: s.stagingLocation,
    streaming: s.streaming,
    experiments,
    sdk_container_image: s.sdkContainerImage,
    ...(s.maxWorkers !== undefined ? { max_num_workers: s.maxWorkers } : {}),
    ...(s.serviceAccount ? { service_account_email: s.serviceAccount } : {}),
    ...(s.network ? { network: s.network } : {}),
    ...(s.subnetwork ? { subnetwork: s.subnetwork } : {}),
    ...input.pipelineOptions,
    pipelineUrl: input.stagedPipeline.url,
    pipelineProtoHash: input.stagedPipeline.sha256,
  };
  const displayData = Object.entries(options)
    .filter(([k]) => k !== "pipelineUrl" && k !== "pipelineProtoHash")
    .map(([key, value]) => ({ namespace: "beamline.DataflowOptions", key, type: typeof value === "boolean" ? "BOOLEAN" : typeof value === "number" ? "INTEGER" : "STRING", value: typeof value === "string" || typeof value === "boolean" || typeof value === "number" ? value : JSON.stringify(value) }));
  return {
    name: s.jobName,
    type: s.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH",
    environment: {
      clusterManagerApiService: "compute.googleapis.com",
      dataset: "bigquery.googleapis.com/cloud_dataflow",
      tempStoragePrefix: storageApiPath(s.tempLocation),
      userAgent: { name: input.sdk.name, version: input.sdk.version },
      version: { job_type: s.streaming ? "FNAPI_STREAMING" : "FNAPI_BATCH", major: FNAPI_ENVIRONMENT_MAJOR_VERSION },
      ...(s.serviceAccount ? { serviceAccountEmail: s.serviceAccount } : {}),
      experiments,
      workerPools: [pool],
      sdkPipelineOptions: { options, display_data: displayData },
    },
    clientRequestId: clientRequestId(input.now ?? new Date()),
  };
}

