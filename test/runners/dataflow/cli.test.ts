/** `beamline run FILE --runner=dataflow` from the command line: the job file without any cloud, and option mistakes. */
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../../runners/cli";
import { tempDir } from "../../helpers";

const WORDCOUNT = path.resolve(__dirname, "../../../examples/wordcount.ts");

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(["run", WORDCOUNT, ...args], { out: () => {}, err: (t) => err.push(t) });
  return { code, err: err.join("\n") };
}

describe("beamline run --runner=dataflow", () => {
  test("--dataflow-job-file writes the job request and neither stages nor submits", async () => {
    const file = path.join(tempDir("beamline-dataflow-cli-"), "job.json");
    const r = await cli(["--runner=dataflow", "--project=my-project", "--region=europe-west1", "--temp-location=gs://my-bucket/tmp", "--max-workers=3", "--streaming", `--dataflow-job-file=${file}`, "--dataflow-endpoint=http://127.0.0.1:9/"]);
    expect(r.err).toContain(`the Dataflow job request is in ${file}; nothing was staged or submitted`);
    expect(r.code).toBe(0);
    const job = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(job.type).toBe("JOB_TYPE_STREAMING");
    expect(job.environment.workerPools[0].autoscalingSettings).toEqual({ maxNumWorkers: 3 });
    expect(job.environment.sdkPipelineOptions.options).toMatchObject({ project: "my-project", region: "europe-west1", temp_location: "gs://my-bucket/tmp" });
    expect(JSON.parse(job.environment.sdkPipelineOptions.options.beamline_pipeline).options).toEqual({ input: "examples/data/*.txt", output: "out/wordcount", shards: 1 });
  }, 60_000);

  test("a temp location that is not on Cloud Storage is refused with the option, the value and the fix", async () => {
    const r = await cli(["--runner=dataflow", "--project=my-project", "--region=europe-west1", "--temp-location=/tmp/x"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error [BL_DATAFLOW_OPTION]: --temp-location: \"/tmp/x\"");
    expect(r.err).toContain("--temp-location=gs://YOUR-BUCKET/tmp");
  });

  test("the runner's options are listed in --help", async () => {
    const out: string[] = [];
    await main(["run", WORDCOUNT, "--help"], { out: (t) => out.push(t), err: () => {} });
    for (const name of ["--project", "--region", "--temp-location", "--staging-location", "--streaming", "--service-account", "--network", "--subnetwork", "--max-workers", "--sdk-container-image", "--detach", "--dataflow-job-file"]) {
      expect(out.join("\n")).toContain(name);
    }
  });

  test("the README's --dataflow-job-file command runs as written, without a cloud", async () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Google Cloud Dataflow"));
    const command = section.replace(/\\\n\s*/g, "").split("\n").find((l) => l.startsWith("npx beamline run") && l.includes("--dataflow-job-file="))!;
    const words = command.match(/'[^']*'|\S+/g)!.map((w) => w.replace(/^'(.*)'$/, "$1"));
    expect(words.slice(0, 4)).toEqual(["npx", "beamline", "run", "examples/wordcount.ts"]);
    const file = path.join(tempDir("beamline-dataflow-readme-"), "wordcount-job.json");
    const args = words.slice(4).map((w) => (w.startsWith("--dataflow-job-file=") ? `--dataflow-job-file=${file}` : w));
    const err: string[] = [];
    const code = await main(["run", path.resolve(__dirname, "../../..", words[3]), ...args], { out: () => {}, err: (t) => err.push(t) });
    expect([code, err.join("\n")]).toEqual([0, expect.stringContaining("nothing was staged or submitted")]);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).environment.sdkPipelineOptions.options.project).toBe("my-project");
  }, 60_000);
});

describe("runner options on the wrong runner", () => {
  test("the local runners' settings given to dataflow are refused together, each with its reason", async () => {
    const r = await cli(["--runner=dataflow", "--project=my-project", "--region=europe-west1", "--temp-location=gs://my-bucket/tmp", "--checkpoint-dir=/tmp/c", "--parallelism=4", "--dataflow-job-file=/tmp/never.json"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error [BL_UNSUPPORTED_RUN_OPTION]: the dataflow runner: [\"--parallelism\",\"--checkpoint-dir\"]");
    expect(r.err).toContain("--checkpoint-dir (Dataflow keeps its own state)");
    expect(r.err).toContain("--parallelism (Dataflow scales workers itself (--max-workers bounds them))");
  });

  test("Dataflow's options given to another runner are refused, not ignored", async () => {
    const r = await cli(["--runner=direct", "--project=my-project", "--streaming"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error [BL_UNSUPPORTED_RUN_OPTION]: the direct runner: [\"--project\",\"--streaming\"]");
    expect(r.err).toContain("add --runner=dataflow, or leave them out");
  });
});
