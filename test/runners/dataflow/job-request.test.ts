/**
 * The Dataflow job request, field by field against the one Beam Python 2.78's DataflowRunner writes with
 * --dataflow_job_file for an equivalent wordcount (fixtures/beam-python-wordcount-job.json, captured
 * offline: staging to a local folder, submission replaced), with the differences that must exist.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, runPipeline, UnsupportedFeatureError } from "beamline";
import wordcount from "../../../examples/wordcount";
import unsupported from "./fixtures/unsupported";
import { tempDir } from "../../helpers";

const PYTHON = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "beam-python-wordcount-job.json"), "utf8"));
const WORDCOUNT = path.resolve(__dirname, "../../../examples/wordcount.ts");
const dir = tempDir("beamline-dataflow-job-");

/** The options the fixture was captured with (see its pipeline options), as Beamline's. */
const SAME_OPTIONS = {
  project: "beamline-fixture",
  region: "us-central1",
  tempLocation: "gs://beamline-fixture/tmp",
  jobName: "wordcount-fixture",
  sdkContainerImage: "us-central1-docker.pkg.dev/beamline-fixture/beamline/beamline-sdk:0.1.0",
  maxWorkers: 5,
  serviceAccount: "runner@beamline-fixture.iam.gserviceaccount.com",
  network: "default",
  subnetwork: "regions/us-central1/subnetworks/default",
};

async function request(extra: Record<string, unknown> = {}): Promise<any> {
  const file = path.join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  const values = { input: "gs://beamline-fixture/in/*.txt", output: "gs://beamline-fixture/out/counts", shards: 1 };
  const r = await runPipeline(buildPipeline(wordcount, values), { runner: "dataflow", ...SAME_OPTIONS, ...extra, dataflowJobFile: file, definition: { file: WORDCOUNT, options: values } });
  expect(r.state).toBe("WRITTEN");
  const written = JSON.parse(fs.readFileSync(file, "utf8"));
  expect(written).toEqual(r.request);
  return written;
}

describe("the Dataflow job request, against Beam Python's", () => {
  let ours: any;
  beforeAll(async () => {
    ours = await request();
  }, 60_000);

  test("the same job: name, type, client request id form, and no steps (the graph travels in the staged proto)", () => {
    expect(ours.name).toBe(PYTHON.name);
    expect(ours.type).toBe(PYTHON.type);
    expect(ours.clientRequestId).toMatch(/^\d{20}-\d{4}$/);
    expect(PYTHON.clientRequestId).toMatch(/^\d{20}-\d{4}$/);
    expect(PYTHON.steps).toBeUndefined();
    expect(ours.steps).toBeUndefined();
    expect(Object.keys(ours).sort()).toEqual(Object.keys(PYTHON).sort());
  });

  test("the same environment fields, with the same values where they must be equal", () => {
    const [e, p] = [ours.environment, PYTHON.environment];
    expect(Object.keys(e).sort()).toEqual(Object.keys(p).sort());
    for (const field of ["clusterManagerApiService", "dataset", "experiments", "version", "serviceAccountEmail"]) expect([field, e[field]]).toEqual([field, p[field]]);
    expect(e.experiments).toEqual(expect.arrayContaining(["use_runner_v2", "use_unified_worker", "use_portable_job_submission", "beam_fn_api"]));
    // Difference: Beam Python makes the temp location job-specific (<temp>/<job>.<time>); Beamline keeps it as given.
    expect(p.tempStoragePrefix.startsWith(`${e.tempStoragePrefix}/wordcount-fixture.`)).toBe(true);
    expect(e.tempStoragePrefix).toBe("storage.googleapis.com/beamline-fixture/tmp");
    // Difference: the SDK that made the request.
    expect(p.userAgent.name).toMatch(/^Apache Beam Python/);
    expect(e.userAgent).toEqual({ name: "Beamline TypeScript SDK", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  test("the same worker pool: harness kind, autoscaling, network, one SDK harness image matched to the pipeline's environment", () => {
    const [w, p] = [ours.environment.workerPools, PYTHON.environment.workerPools];
    expect(w).toHaveLength(1);
    expect(Object.keys(w[0]).sort()).toEqual(Object.keys(p[0]).sort());
    for (const field of ["kind", "autoscalingSettings", "network", "subnetwork", "workerHarnessContainerImage"]) expect([field, w[0][field]]).toEqual([field, p[0][field]]);
    const [ours1, py1] = [w[0].sdkHarnessContainerImages, p[0].sdkHarnessContainerImages];
    expect(ours1).toHaveLength(1);
    expect(Object.keys(ours1[0]).sort()).toEqual(Object.keys(py1[0]).sort());
    expect(ours1[0].containerImage).toBe(py1[0].containerImage);
    // Both harnesses process a bundle on one core (neither declares multi-core bundle processing).
    expect(ours1[0].useSingleCorePerContainer).toBe(py1[0].useSingleCorePerContainer);
    // Difference: the environment id is the one of the pipeline that made it (Beamline's is "beamline"), and
    // the capabilities are each SDK's own; the standard coders both declare are the same URNs.
    expect(ours1[0].environmentId).toBe("beamline");
    expect(py1[0].capabilities).toEqual(expect.arrayContaining(ours1[0].capabilities.filter((c: string) => c.startsWith("beam:coder:") && c !== "beam:coder:row:v1" && !c.includes("beamline"))));
    // Difference: the staged packages. Beam Python stages its pickled main session; Beamline stages the
    // content-hashed bundle of the pipeline file, by content under the staging location (shared by jobs).
    const loc = (pkg: { location: string; name: string }) => pkg.location.slice(0, -pkg.name.length - 1);
    expect(p[0].packages.map((x: { name: string }) => x.name)).toContain("pickled_main_session");
    expect(w[0].packages).toEqual([{ name: expect.stringMatching(/^pipeline-[0-9a-f]{32}\.js$/), location: expect.stringMatching(/^storage\.googleapis\.com\/beamline-fixture\/tmp\/staging\/pipeline-[0-9a-f]{32}\.js$/) }]);
    expect(p[0].packages.every((x: { location: string; name: string }) => loc(x) === `storage.googleapis.com/${PYTHON.environment.sdkPipelineOptions.options.staging_location.slice(5)}`)).toBe(true);
  });

  test("the pipeline options: Runner v2's, the staged pipeline's URL and hash, and the pipeline's own", () => {
    const [o, p] = [ours.environment.sdkPipelineOptions.options, PYTHON.environment.sdkPipelineOptions.options];
    for (const name of ["runner", "project", "region", "job_name", "experiments", "sdk_container_image", "max_num_workers", "service_account_email", "network", "subnetwork", "streaming"]) {
      expect([name, o[name]]).toEqual([name, p[name]]);
    }
    // Both stage the proto as pipeline.pb in a folder of the job's own (<job>.<time>), and give its SHA-256.
    // Difference: Beam Python stages everything in that folder; Beamline keeps it for the proto and stages
    // the content-hashed bundle once for every job, directly under the staging location.
    expect(p.pipelineUrl).toBe(`${p.staging_location}/pipeline.pb`);
    expect(o.pipelineUrl).toMatch(/^gs:\/\/beamline-fixture\/tmp\/staging\/wordcount-fixture\.\d{10}\.\d{6}\/pipeline\.pb$/);
    expect(p.pipelineUrl).toMatch(/^gs:\/\/beamline-fixture\/tmp\/wordcount-fixture\.\d{10}\.\d{6}\/pipeline\.pb$/);
    expect(o.pipelineProtoHash).toMatch(/^[0-9a-f]{64}$/);
    expect(p.pipelineProtoHash).toMatch(/^[0-9a-f]{64}$/);
    // Difference: Beamline's workers rebuild the pipeline from the staged bundle and these option values.
    expect(JSON.parse(o.beamline_pipeline)).toEqual({ module: ours.environment.workerPools[0].packages[0].name, options: { input: "gs://beamline-fixture/in/*.txt", output: "gs://beamline-fixture/out/counts", shards: 1 } });
    // Difference: Beam Python sends every option its SDK knows (Flink's, Spark's, the direct runner's); Beamline only its own.
    expect(Object.keys(p).length).toBeGreaterThan(Object.keys(o).length);
    const display = (d: { key: string; type: string; namespace: string }[]) => d.map((x) => Object.keys(x).sort().join(","));
    expect(new Set(display(ours.environment.sdkPipelineOptions.display_data))).toEqual(new Set(display(PYTHON.environment.sdkPipelineOptions.display_data)));
  });

  test("a streaming job: the streaming type and environment version, Streaming Engine's experiments, a data disk", async () => {
    const s = await request({ streaming: true });
    expect(s.type).toBe("JOB_TYPE_STREAMING");
    expect(s.environment.version).toEqual({ job_type: "FNAPI_STREAMING", major: "8" });
    expect(s.environment.experiments).toEqual([...PYTHON.environment.experiments, "enable_streaming_engine", "enable_windmill_service"]);
    expect(s.environment.workerPools[0].dataDisks).toEqual([{}]);
    expect(s.environment.sdkPipelineOptions.options.streaming).toBe(true);
  });

  test("leaves out what was not asked for", async () => {
    const s = await request({ maxWorkers: undefined, serviceAccount: undefined, network: undefined, subnetwork: undefined });
    expect(s.environment.serviceAccountEmail).toBeUndefined();
    expect(s.environment.workerPools[0]).not.toHaveProperty("network");
    expect(s.environment.workerPools[0]).not.toHaveProperty("subnetwork");
    expect(s.environment.workerPools[0].autoscalingSettings).toEqual({});
  });
});

describe("what Dataflow cannot run", () => {
  test("is reported in one error, every part of it, before anything is staged or written", async () => {
    const file = path.join(dir, "refused.json");
    const e = await runPipeline(buildPipeline(unsupported, {}), {
      runner: "dataflow",
      ...SAME_OPTIONS,
      dataflowJobFile: file,
      definition: { file: path.join(__dirname, "fixtures", "unsupported.ts"), options: {} },
    }).then(() => null, (x: unknown) => x as UnsupportedFeatureError);
    expect(e).toBeInstanceOf(UnsupportedFeatureError);
    expect(e!.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(e!.value).toEqual([expect.stringMatching(/^Script: TestStream \(Dataflow does not run TestStreams\)/), expect.stringMatching(/^Clicks: /)]);
    expect(e!.message).toContain("the dataflow runner cannot execute 2 part(s)");
    expect(fs.existsSync(file)).toBe(false);
  });

  test("a run without the pipeline file is refused: the workers rebuild the pipeline from it", async () => {
    const e = await runPipeline(buildPipeline(wordcount, {}), { runner: "dataflow", ...SAME_OPTIONS }).then(() => null, (x: unknown) => x as UnsupportedFeatureError);
    expect(e?.code).toBe("BL_DATAFLOW_NEEDS_PIPELINE_FILE");
  });
});
