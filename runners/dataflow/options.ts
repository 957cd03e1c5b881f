/**
 * The Dataflow runner's options and their checks: each option a user can get wrong is refused before
 * anything is staged, with the value, the rule and the fix. Unset options take Dataflow's defaults
 * (the staging location under the temp location, Beamline's SDK image in the project's Artifact Registry).
 */
import { OptionError } from "../../sdk/errors";

/** Options of a Dataflow run, as given (command line or `runPipeline`). */
export interface DataflowRunOptions {
  /** The Google Cloud project the job runs in. */
  readonly project?: string;
  /** The Dataflow region (regional endpoint), e.g. `us-central1`. */
  readonly region?: string;
  /** A `gs://` prefix for temporary files. */
  readonly tempLocation?: string;
  /** A `gs://` prefix the pipeline and its bundle are staged to. Default: `<tempLocation>/staging`. */
  readonly stagingLocation?: string;
  /** Runs the job in streaming mode. Default: batch. */
  readonly streaming?: boolean;
  /** The service account workers run as. Default: the project's Compute Engine default. */
  readonly serviceAccount?: string;
  /** The VPC network of the workers. */
  readonly network?: string;
  /** The subnetwork of the workers: `regions/REGION/subnetworks/NAME` or its full URL. */
  readonly subnetwork?: string;
  /** The most workers the job may autoscale to. */
  readonly maxWorkers?: number;
  /** Beamline's SDK harness image the workers run. Default: {@link defaultSdkImage}. */
  readonly sdkContainerImage?: string;
  /** Returns once the job is created, without following it. */
  readonly detach?: boolean;
  /** Writes the job request to this file instead of submitting it. */
  readonly dataflowJobFile?: string;
  /** The job's name. Default: `beamline-<pipeline file>-<time>`. */
  readonly jobName?: string;
  /** The root URL of the Dataflow API. Default: `$BEAMLINE_DATAFLOW_ENDPOINT` or `https://dataflow.googleapis.com/`. */
  readonly dataflowEndpoint?: string;
}

/** The checked options, with defaults filled in. */
export interface DataflowSettings {
  readonly project: string;
  readonly region: string;
  readonly tempLocation: string;
  readonly stagingLocation: string;
  readonly streaming: boolean;
  readonly serviceAccount?: string;
  readonly network?: string;
  readonly subnetwork?: string;
  readonly maxWorkers?: number;
  readonly sdkContainerImage: string;
  readonly detach: boolean;
  readonly dataflowJobFile?: string;
  readonly jobName: string;
  readonly dataflowEndpoint: string;
}

/** The environment variable that sets the Dataflow API's root URL (a fake of it in tests). */
export const DATAFLOW_ENDPOINT_ENV = "BEAMLINE_DATAFLOW_ENDPOINT";

/** The Dataflow API's root URL. */
export const DATAFLOW_API_ROOT = "https://dataflow.googleapis.com/";

/** Beamline's SDK harness image by default: in the project's Artifact Registry repository `beamline`, as the README builds and pushes it. */
export function defaultSdkImage(project: string, region: string, version: string): string {
  return `${region}-docker.pkg.dev/${project.replace(":", "/")}/beamline/beamline-sdk:${version}`;
}

// Google's rules: project ids (optionally domain-scoped), region names, job names, service accounts.
const PROJECT = /^([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const JOB_NAME = /^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[^@\s]+@[^@\s]+\.[a-z]+$/;
const GCS = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/.*)?$/;

function refuse(option: string, value: unknown, rule: string, fix: string, code = "BL_DATAFLOW_OPTION"): OptionError {
  return new OptionError({ code, where: `--${option}`, value, rule, fix });
}

function required(option: string, value: string | undefined, example: string): string {
  if (!value) throw refuse(option, value ?? "", `the dataflow runner needs --${option}`, `pass --${option}=${example}`, "BL_DATAFLOW_OPTION_MISSING");
  return value;
}

function gcsLocation(option: string, value: string): string {
  if (!GCS.test(value)) {
    throw refuse(option, value, "Dataflow workers read and write this location, so it must be a Cloud Storage path gs://BUCKET[/PREFIX]", `pass --${option}=gs://YOUR-BUCKET/tmp (a bucket in the project, in or near the region)`);
  }
  return value.replace(/\/+$/, "");
}

/** A job name Dataflow accepts made from a pipeline file's name: lower case, dashes, a start time. */
export function defaultJobName(base: string, now: Date = new Date()): string {
  const clean = base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "") || "pipeline";
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `beamline-${clean.slice(0, 60)}-${stamp}`;
}

/** Checks `o` and fills in the defaults; throws an OptionError naming the first option that is wrong. */
export function dataflowSettings(o: DataflowRunOptions, defaults: { jobBase: string; version: string; env?: NodeJS.ProcessEnv }): DataflowSettings {
  const project = required("project", o.project, "YOUR-PROJECT-ID");
  if (!PROJECT.test(project)) throw refuse("project", project, "is not a Google Cloud project id (6 to 30 lower-case letters, digits and dashes, starting with a letter)", "pass the project's id, not its name or number (gcloud projects list shows it)");
  const region = required("region", o.region, "us-central1");
  if (!REGION.test(region)) throw refuse("region", region, "is not a Dataflow region (such as us-central1 or europe-west1)", "pass a region from https://cloud.google.com/dataflow/docs/resources/locations, not a zone");
  const tempLocation = gcsLocation("temp-location", required("temp-location", o.tempLocation, "gs://YOUR-BUCKET/tmp"));
  const stagingLocation = o.stagingLocation ? gcsLocation("staging-location", o.stagingLocation) : `${tempLocation}/staging`;
  if (o.maxWorkers !== undefined && (!Number.isInteger(o.maxWorkers) || o.maxWorkers < 1 || o.maxWorkers > 4000)) {
    throw refuse("max-workers", o.maxWorkers, "must be a whole number of workers from 1 to 4000", "pass --max-workers=N, e.g. 10");
  }
  if (o.serviceAccount !== undefined && o.serviceAccount !== "" && !SERVICE_ACCOUNT.test(o.serviceAccount)) {
    throw refuse("service-account", o.serviceAccount, "is not a service account e-mail address", "pass --service-account=NAME@PROJECT.iam.gserviceaccount.com");
  }
  if (o.subnetwork && !/(^|\/)regions\/[^/]+\/subnetworks\/[^/]+$/.test(o.subnetwork)) {
    throw refuse("subnetwork", o.subnetwork, "names a subnetwork by its region: regions/REGION/subnetworks/NAME, or the full https://www.googleapis.com/compute/v1/projects/… URL", `pass --subnetwork=regions/${region}/subnetworks/NAME`);
  }
  const jobName = o.jobName || defaultJobName(defaults.jobBase);
  if (!JOB_NAME.test(jobName)) throw refuse("job-name", jobName, "a Dataflow job name is lower-case letters, digits and dashes, starting with a letter and not ending with a dash", "pass a name such as wordcount-2026");
  const sdkContainerImage = o.sdkContainerImage || defaultSdkImage(project, region, defaults.version);
  if (/\s/.test(sdkContainerImage) || !/^[a-z0-9]/.test(sdkContainerImage)) {
    throw refuse("sdk-container-image", sdkContainerImage, "is not a container image reference", "pass the image built from containers/sdk/Dockerfile, e.g. us-central1-docker.pkg.dev/PROJECT/beamline/beamline-sdk:TAG");
  }
  const env = defaults.env ?? process.env;
  const dataflowEndpoint = o.dataflowEndpoint || env[DATAFLOW_ENDPOINT_ENV] || DATAFLOW_API_ROOT;
  if (!/^https?:\/\/[^/\s]+/.test(dataflowEndpoint)) {
    throw refuse("dataflow-endpoint", dataflowEndpoint, "is not an http(s) URL", `pass the Dataflow API's root URL (default ${DATAFLOW_API_ROOT})`);
  }
  return {
    project,
    region,
    tempLocation,
    stagingLocation,
    streaming: o.streaming ?? false,
    ...(o.serviceAccount ? { serviceAccount: o.serviceAccount } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...(o.subnetwork ? { subnetwork: o.subnetwork } : {}),
    ...(o.maxWorkers !== undefined ? { maxWorkers: o.maxWorkers } : {}),
    sdkContainerImage,
    detach: o.detach ?? false,
    ...(o.dataflowJobFile ? { dataflowJobFile: o.dataflowJobFile } : {}),
    jobName,
    dataflowEndpoint: dataflowEndpoint.endsWith("/") ? dataflowEndpoint : `${dataflowEndpoint}/`,
  };
}
