/**
 * The boot command of a PROCESS environment, started by the runner once per worker with
 * `--id=… --provision_endpoint=…` (and, from newer runners, the other endpoints), and the entrypoint
 * of Beamline's SDK container on Dataflow, started with the same arguments: reads the provision
 * service, retrieves the staged artifacts (the pipeline bundle) itself, rebuilds the pipeline from the
 * bundle and the submitted options, and serves the Fn API until the runner closes the control stream.
 * The harness checks each transform's pipeline fingerprint against the one it rebuilt.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Module from "node:module";
import * as grpc from "@grpc/grpc-js";
import { buildPipeline, isPipelineDefinition } from "../../sdk/definition";
import { PIPELINE_OPTION, StagedPipeline } from "./artifact";
import { parseBootArgs } from "./boot-args";
import { provisionedOption, ProvisionedValue } from "./provisioned-option";
import { CHANNEL_OPTIONS, clientFor } from "./harness/channels";
import { SdkHarness } from "./harness/harness";
import { beamProtos, Protos } from "./model/protos";
import { RunnerProtocolError } from "./model/errors";
import { PipelineConstructionError } from "../../sdk/errors";

/** How long a worker waits for each answer of the runner's provision and artifact services, in ms. */
export const BOOT_CALL_TIMEOUT_MS = 60_000;

function metadata(workerId: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("worker_id", workerId);
  return md;
}

/** Fetches one artifact's bytes from the retrieval service into `file`. */
function retrieve(protos: Protos, url: string, workerId: string, artifact: unknown, file: string): Promise<void> {
  const Client = clientFor(protos, "job.ArtifactRetrievalService");
  const client: any = new Client(url, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const stream = client.GetArtifact({ artifact }, metadata(workerId), { deadline: Date.now() + BOOT_CALL_TIMEOUT_MS });
    stream.on("data", (r: { data: Buffer }) => chunks.push(Buffer.from(r.data ?? [])));
    stream.on("error", (e: Error) => {
      client.close();
      reject(e);
    });
    stream.on("end", () => {
      client.close();
      fs.writeFileSync(file, Buffer.concat(chunks));
      resolve();
    });
  });
}

/** Makes `beamline` and its dependencies resolvable from a staged bundle outside the package. */
function resolveFromBeamline(): void {
  const root = path.resolve(__dirname, "../..");
  const m = Module as unknown as { _resolveFilename: (req: string, parent: unknown, ...rest: unknown[]) => string };
  const original = m._resolveFilename;
  m._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]) {
    if (request === "beamline") return path.join(root, "index.ts");
    try {
      return original.call(this, request, parent, ...rest);
    } catch (e) {
      if (request.startsWith(".") || path.isAbsolute(request)) throw e;
      return require.resolve(request, { paths: [root] });
    }
  };
}

/** Runs a PROCESS worker; resolves when the runner ends it. */
export async function boot(argv: readonly string[]): Promise<void> {
  const args = parseBootArgs(argv);
  const workerId = args.id ?? "";
  const protos = beamProtos();
  const Provision = clientFor(protos, "fn.ProvisionService");
  const provision: any = new Provision(args.provision_endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const info = await new Promise<any>((resolve, reject) =>
    provision.GetProvisionInfo({}, metadata(workerId), { deadline: Date.now() + BOOT_CALL_TIMEOUT_MS }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r.info))),
  );
  provision.close();
  const dir = args.semi_persist_dir ? path.join(args.semi_persist_dir, `beamline-${workerId}`) : fs.mkdtempSync(path.join(require("node:os").tmpdir(), "beamline-worker-"));
  fs.mkdirSync(dir, { recursive: true });
  const artifactUrl = args.artifact_endpoint || info.artifactEndpoint?.url;
  const staged = new Map<string, string>();
  for (const dep of info.dependencies ?? []) {
    const name = dep.roleUrn === "beam:artifact:role:staging_to:v1" ? protos.decode("pipeline.ArtifactStagingToRolePayload", dep.rolePayload).stagedName : `artifact-${staged.size}`;
    const file = path.join(dir, name);
    await retrieve(protos, artifactUrl, workerId, dep, file);
    staged.set(name, file);
  }
  const option = provisionedOption((info.pipelineOptions?.fields ?? {}) as Record<string, ProvisionedValue>, PIPELINE_OPTION);
  if (!option) {
    throw new RunnerProtocolError({
      code: "BL_NO_STAGED_PIPELINE",
      where: `worker ${workerId}`,
      value: PIPELINE_OPTION,
      rule: "a PROCESS worker rebuilds the pipeline from the pipeline option the runner provides, and the runner provided none",
      fix: "submit the job with `beamline run <file> --environment-type=PROCESS`, which stages the pipeline file and sets the option",
    });
  }
  const spec = JSON.parse(option) as StagedPipeline;
  const file = staged.get(spec.module);
  if (!file) throw new RunnerProtocolError({ code: "BL_ARTIFACT_MISSING", where: `worker ${workerId}`, value: spec.module, rule: "the runner must provide every artifact staged with the job, and the pipeline bundle is missing", fix: "see the runner's log for artifact retrieval errors", retriable: true });
  resolveFromBeamline();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const def = (require(file) as { default?: unknown }).default;
  if (!isPipelineDefinition(def)) throw new PipelineConstructionError({ code: "BL_NOT_A_PIPELINE_FILE", value: spec.module, rule: "a pipeline file default-exports a pipeline definition", fix: "end the pipeline file with `export default definePipeline({ ... })`" });
  const pipeline = buildPipeline(def, spec.options);
  const harness = new SdkHarness(
    protos,
    { graph: pipeline.graph(), fingerprint: pipeline.fingerprint(), fn: (n) => pipeline.fn(n) },
    { workerId, controlUrl: args.control_endpoint || info.controlEndpoint.url, loggingUrl: args.logging_endpoint || info.loggingEndpoint?.url },
  );
  harness.start();
  await harness.done;
  await harness.close();
}

