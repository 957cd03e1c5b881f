/**
 * DOCKER environments on Flink: Beamline sends Beam's DOCKER environment with the SDK image, Flink's
 * Docker environment factory runs `docker run -d --network=host IMAGE --id=… --provision_endpoint=…` per
 * worker, and the image's entrypoint fetches the staged pipeline from the runner and serves it. This
 * machine has no Docker engine, so the job server's PATH holds a `docker` command
 * (test/integration/docker-cli/docker) that runs the image's ENTRYPOINT, read from
 * containers/sdk/Dockerfile, as a local process: what is proved is the environment Beamline sends, the
 * command Flink gives the container, and that the entrypoint serves a worker from those arguments alone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../runners/cli";
import { startFlinkJobServer } from "../../runners/flink/flink";
import { tempDir, until } from "../helpers";
import { outputLines } from "./pipelines";
import { describeWithService } from "./services";

const WORDCOUNT = path.join(__dirname, "../../examples/wordcount.ts");
const IMAGE = "registry.example/beamline/beamline-sdk:test";
const state = tempDir();

/** Runs the command line, collecting what it writes to stderr. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(["run", WORDCOUNT, ...args], { out: () => {}, err: (t) => err.push(t) });
  return { code, err: err.join("\n") };
}

/** The `docker run` invocations the job server made so far. */
function runs(): { id: string; options: string[]; image: string; args: string[] }[] {
  const file = path.join(state, "runs.jsonl");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : [];
}

const env = { ...process.env, PATH: `${path.join(__dirname, "docker-cli")}${path.delimiter}${process.env.PATH}`, DOCKER_CLI_STATE: state, DOCKER_CLI_IMAGE: IMAGE };

describeWithService(["mvn", "java"], "Flink: DOCKER environments", () => startFlinkJobServer({ env }), (server) => {
  test("Flink runs the SDK image per worker with Beam's container arguments; the wordcount is the direct runner's, and the containers are removed after", async () => {
    const direct = tempDir();
    expect((await cli([`--output=${path.join(direct, "counts")}`])).code).toBe(0);
    const dir = tempDir();
    const r = await cli(["--runner=flink", `--job-endpoint=${server().jobEndpoint}`, "--environment-type=DOCKER", `--environment-config=${IMAGE}`, `--output=${path.join(dir, "counts")}`]);
    expect(r.err).toContain("done on the flink runner");
    expect(r.code).toBe(0);
    expect(outputLines(dir, "counts")).toEqual(outputLines(direct, "counts"));
    expect(outputLines(dir, "counts").length).toBeGreaterThan(0);
    const started = runs();
    expect(started.length).toBeGreaterThan(0);
    for (const run of started) {
      expect(run.image).toBe(IMAGE);
      expect(run.options).toContain("--network=host");
      expect(run.args.find((a) => a.startsWith("--id="))).toBeDefined();
      expect(run.args.find((a) => /^--provision_endpoint=\S+:\d+$/.test(a))).toBeDefined();
      // Everything else (control, logging and artifact endpoints, the staged bundle) comes from the provision service.
      expect(run.args.filter((a) => !/^--(id|provision_endpoint|semi_persist_dir)=/.test(a))).toEqual([]);
    }
    // Flink kills and removes each container when its environment closes.
    await until(async () => started.every((run) => !fs.existsSync(path.join(state, `${run.id}.pid`))) || undefined, 60_000, "the containers removed");
  }, 240_000);

  test("an image the machine cannot pull or find fails the job with Docker's own message, within bounded time", async () => {
    const started = Date.now();
    const r = await cli(["--runner=flink", `--job-endpoint=${server().jobEndpoint}`, "--environment-type=DOCKER", "--environment-config=registry.example/nobody/nothing:1", `--output=${path.join(tempDir(), "counts")}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("registry.example/nobody/nothing:1");
    expect(Date.now() - started).toBeLessThan(180_000);
  }, 240_000);

  test("DOCKER without an image is refused before submission, naming the option", async () => {
    const r = await cli(["--runner=flink", `--job-endpoint=${server().jobEndpoint}`, "--environment-type=DOCKER", `--output=${path.join(tempDir(), "counts")}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("BL_ENVIRONMENT_CONFIG");
    expect(r.err).toContain("--environment-config");
  });
});
