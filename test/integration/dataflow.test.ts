/**
 * The Dataflow runner end to end against fake-gcs-server (staging) and the tests' fake of the Dataflow
 * jobs endpoint: what is staged and what the staged proto holds, the job followed to DONE and to
 * FAILED, the bundle staged once per content, `--detach` and Ctrl-C from the command line, and a
 * pipeline Dataflow cannot run refused before anything is staged.
 */
import * as path from "node:path";
import { createHash } from "node:crypto";
import type { Storage } from "@google-cloud/storage";
import { BeamlineError, buildPipeline, runPipeline, UnsupportedFeatureError } from "beamline";
import wordcount from "../../examples/wordcount";
import pubsub from "../runners/dataflow/fixtures/pubsub";
import unsupported from "../runners/dataflow/fixtures/unsupported";
import { FakeDataflow, startFakeDataflow } from "../runners/dataflow/fake-dataflow";
import { startCli } from "../runners/direct/checkpoint/children";
import { beamProtos } from "../../runners/portable/model/protos";
import { describeWithGcs, gcsBucketOn } from "./services";

const BUCKET = "beamline-dataflow-test";
const WORDCOUNT = path.join(__dirname, "..", "..", "examples", "wordcount.ts");
const VALUES = { input: `gs://${BUCKET}/in/*.txt`, output: `gs://${BUCKET}/out/counts`, shards: 1 };
const OPTIONS = { project: "my-project", region: "us-central1", tempLocation: `gs://${BUCKET}/tmp`, pollIntervalMs: 10, onMessage: () => {} };

describeWithGcs("the Dataflow runner on fake-gcs-server and a fake Dataflow", (gcs) => {
  let storage: Storage;
  const fakes: FakeDataflow[] = [];

  beforeAll(async () => {
    storage = await gcsBucketOn(gcs(), BUCKET);
  });
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.stop()));
  });

  async function fake(states: string[], messages: Parameters<typeof startFakeDataflow>[0]["messages"] = []): Promise<FakeDataflow> {
    const f = await startFakeDataflow({ states, messages });
    fakes.push(f);
    return f;
  }

  async function object(gsUrl: string): Promise<Buffer> {
    const name = gsUrl.slice(`gs://${BUCKET}/`.length);
    return (await storage.bucket(BUCKET).file(name).download())[0];
  }

  function cliEnv(f: FakeDataflow): Record<string, string> {
    return { STORAGE_EMULATOR_HOST: gcs().storageEmulatorHost, METADATA_SERVER_DETECTION: "none", BEAMLINE_DATAFLOW_ENDPOINT: f.url };
  }

  const cliArgs = (jobName: string) => ["--runner=dataflow", "--project=my-project", "--region=us-central1", `--temp-location=gs://${BUCKET}/tmp`, `--job-name=${jobName}`, `--input=${VALUES.input}`, `--output=${VALUES.output}`];

  test("stages the pipeline proto and the bundle, creates the job and follows it to JOB_STATE_DONE", async () => {
    const f = await startFakeDataflow({
      states: ["JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_DONE"],
      messages: [{ atState: 1, importance: "JOB_MESSAGE_BASIC", text: "Workers started" }],
      metrics: [{ name: { origin: "user", name: "words", context: { step: "Words", namespace: "beamline" } }, scalar: 42 }],
    });
    fakes.push(f);
    const submitted: string[] = [];
    const r = await runPipeline(buildPipeline(wordcount, VALUES), { runner: "dataflow", ...OPTIONS, jobName: "wordcount-done", dataflowEndpoint: f.url, definition: { file: WORDCOUNT, options: VALUES }, onSubmitted: (j) => submitted.push(`${j.id} ${j.consoleUrl}`) });
    expect(r).toMatchObject({ state: "DONE", runner: "dataflow", jobState: "JOB_STATE_DONE", jobId: "2026-01-01_00_00_00-1" });
    expect(submitted).toEqual(["2026-01-01_00_00_00-1 https://console.cloud.google.com/dataflow/jobs/us-central1/2026-01-01_00_00_00-1?project=my-project"]);
    expect(r.messages.map((m) => m.messageText)).toEqual(["Workers started"]);
    expect(f.created).toEqual([r.request]);
    expect(r.metrics.counters.get("Words")?.get("words")).toBe(42);

    // The staged proto is the one the request names, by URL and hash.
    const options = (r.request as any).environment.sdkPipelineOptions.options;
    expect(options.pipelineUrl).toMatch(new RegExp(`^gs://${BUCKET}/tmp/staging/wordcount-done\\.\\d{10}\\.\\d{6}/pipeline\\.pb$`));
    const protoBytes = await object(options.pipelineUrl);
    expect(createHash("sha256").update(protoBytes).digest("hex")).toBe(options.pipelineProtoHash);

    // Its environment is the DOCKER image the worker pool names, depending on the staged bundle.
    const protos = beamProtos();
    const proto = protos.decode("pipeline.Pipeline", protoBytes);
    const images = (r.request as any).environment.workerPools[0].sdkHarnessContainerImages;
    const used = new Set(Object.values<any>(proto.components.transforms).map((t) => t.environmentId).filter(Boolean));
    expect([...used]).toEqual(images.map((i: { environmentId: string }) => i.environmentId));
    const env = proto.components.environments[images[0].environmentId];
    expect(env.urn).toBe("beam:env:docker:v1");
    expect(protos.decode("pipeline.DockerPayload", env.payload).containerImage).toBe(images[0].containerImage);
    expect(env.dependencies).toHaveLength(1);
    const dep = protos.decode("pipeline.ArtifactUrlPayload", env.dependencies[0].typePayload);
    const pkg = (r.request as any).environment.workerPools[0].packages[0];
    expect(dep.url).toBe(`gs://${BUCKET}/tmp/staging/${pkg.name}`);
    expect(pkg.location).toBe(`storage.googleapis.com/${BUCKET}/tmp/staging/${pkg.name}`);
    const bundle = await object(dep.url);
    expect(createHash("sha256").update(bundle).digest("hex")).toBe(dep.sha256);
    expect(pkg.name).toBe(`pipeline-${dep.sha256.slice(0, 32)}.js`);
    expect(JSON.parse(options.beamline_pipeline)).toEqual({ module: pkg.name, options: VALUES });
  }, 60_000);

  test("stages a bundle once per content: a second job with the same code reuses it; each job has its own proto", async () => {
    const f = await fake(["JOB_STATE_DONE"]);
    const run = (jobName: string) => runPipeline(buildPipeline(wordcount, VALUES), { runner: "dataflow", ...OPTIONS, jobName, dataflowEndpoint: f.url, definition: { file: WORDCOUNT, options: VALUES } });
    const first = await run("wordcount-first");
    const name = `tmp/staging/${(first.request as any).environment.workerPools[0].packages[0].name}`;
    const [before] = await storage.bucket(BUCKET).file(name).getMetadata();
    const second = await run("wordcount-first");
    const [after] = await storage.bucket(BUCKET).file(name).getMetadata();
    expect(after.generation).toBe(before.generation);
    expect(f.created).toHaveLength(2);
    // Two jobs of the same name never share a staged proto.
    const url = (r: typeof first) => (r.request as any).environment.sdkPipelineOptions.options.pipelineUrl;
    expect(url(second)).not.toBe(url(first));
  }, 60_000);

  test("a job that fails rejects the run with its state and error messages", async () => {
    const f = await fake(["JOB_STATE_RUNNING", "JOB_STATE_FAILED"], [{ atState: 1, importance: "JOB_MESSAGE_ERROR", text: "Error in Words: bad line" }]);
    const e = await runPipeline(buildPipeline(wordcount, VALUES), { runner: "dataflow", ...OPTIONS, jobName: "wordcount-failed", dataflowEndpoint: f.url, definition: { file: WORDCOUNT, options: VALUES } }).then(
      () => null,
      (x: unknown) => x as BeamlineError,
    );
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e!.code).toBe("BL_JOB_FAILED");
    expect(e!.message).toContain("JOB_STATE_FAILED");
    expect(e!.message).toContain("Error in Words: bad line");
  }, 60_000);

  test("--detach prints the job's id and link and returns without following it", async () => {
    const f = await fake(["JOB_STATE_RUNNING"]);
    const exit = await startCli(WORDCOUNT, [...cliArgs("wordcount-detached"), "--detach"], cliEnv(f)).exit;
    expect(exit.code).toBe(0);
    expect(exit.err).toContain("Dataflow job 2026-01-01_00_00_00-1 created: https://console.cloud.google.com/dataflow/jobs/us-central1/2026-01-01_00_00_00-1?project=my-project");
    expect(exit.err).toContain("detached");
    expect(exit.err).toMatch(new RegExp(`staged gs://${BUCKET}/tmp/staging/wordcount-detached\\.[0-9.]+/pipeline\\.pb and gs://${BUCKET}/tmp/staging/pipeline-[0-9a-f]{32}\\.js`));
    expect(f.created).toHaveLength(1);
    expect(f.calls.filter((c) => c.method === "GET")).toEqual([]);
  }, 60_000);

  test("Ctrl-C while following cancels the job (jobs.update to JOB_STATE_CANCELLED) and exits 130", async () => {
    const f = await fake(["JOB_STATE_RUNNING"]);
    const child = startCli(WORDCOUNT, cliArgs("wordcount-interrupted"), cliEnv(f));
    await f.gets(1);
    child.process.kill("SIGINT");
    const exit = await child.exit;
    expect(exit.code).toBe(130);
    expect(exit.err).toContain("cancelled");
    expect(f.calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ requestedState: "JOB_STATE_CANCELLED" }]);
    expect(exit.err).toContain("JOB_STATE_CANCELLED");
  }, 60_000);

  test("a pipeline Dataflow cannot run is refused in one error before anything is staged", async () => {
    const f = await fake(["JOB_STATE_DONE"]);
    const staging = `gs://${BUCKET}/refused/staging`;
    const e = await runPipeline(buildPipeline(unsupported, {}), {
      runner: "dataflow",
      ...OPTIONS,
      stagingLocation: staging,
      dataflowEndpoint: f.url,
      definition: { file: path.join(__dirname, "..", "runners", "dataflow", "fixtures", "unsupported.ts"), options: {} },
    }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedFeatureError);
    expect((e as UnsupportedFeatureError).value).toHaveLength(2);
    const [files] = await storage.bucket(BUCKET).getFiles({ prefix: "refused/" });
    expect(files).toEqual([]);
    expect(f.calls).toEqual([]);
  }, 60_000);

  test("file sinks of an unbounded Pub/Sub read are refused, each named with its sink, before anything is staged", async () => {
    const f = await fake(["JOB_STATE_DONE"]);
    const staging = `gs://${BUCKET}/files-refused/staging`;
    const e = await runPipeline(buildPipeline(pubsub, { files: true }), {
      runner: "dataflow",
      ...OPTIONS,
      stagingLocation: staging,
      dataflowEndpoint: f.url,
      definition: { file: path.join(__dirname, "..", "runners", "dataflow", "fixtures", "pubsub.ts"), options: { files: true } },
    }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedFeatureError);
    const fix = /a transactional sink of an unbounded input: on the dataflow runner .* — publish the rows with writePubSub \(Dataflow's native Pub\/Sub write\), or run it on the direct runner/;
    expect((e as UnsupportedFeatureError).value).toEqual([
      expect.stringMatching(new RegExp(`^ClickFiles: writeCsv \\(a file sink\\) — ${fix.source}`)),
      expect.stringMatching(new RegExp(`^LetterFiles: writeJsonLines \\(a file sink\\) — ${fix.source}`)),
      expect.stringMatching(new RegExp(`^LineFiles: writeText \\(a file sink\\) — ${fix.source}`)),
    ]);
    const [files] = await storage.bucket(BUCKET).getFiles({ prefix: "files-refused/" });
    expect(files).toEqual([]);
    expect(f.calls).toEqual([]);
  }, 60_000);
});
