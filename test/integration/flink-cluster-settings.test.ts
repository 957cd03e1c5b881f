/**
 * Beamline's run settings reach a Flink session cluster, seen through Flink's REST API: the job's
 * vertices run at `--parallelism`, `--checkpoint-dir` with `--checkpoint-interval` is the job's
 * checkpointing, `--restart-strategy=fixed-delay` its restart strategy; the file read is split into
 * parts that both workers read; and the output is exact.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { clusterJobs, FlinkCluster } from "../../runners/flink/flink";
import { main } from "../../runners/cli";
import { tempDir } from "../helpers";
import { outputLines } from "./pipelines";
import { describeWithFlinkCluster } from "./services";

const WORDCOUNT = path.join(__dirname, "../../examples/wordcount.ts");

/** A word of letters only (wordcount splits on anything else) for `n`: base 26, `a` for 0. */
function letters(n: number): string {
  let w = "";
  do {
    w = String.fromCharCode(97 + (n % 26)) + w;
    n = Math.floor(n / 26);
  } while (n > 0);
  return w;
}

/** A JSON document of the cluster's REST API. */
async function rest<T>(cluster: FlinkCluster, route: string): Promise<T> {
  const r = await fetch(`http://${cluster.restEndpoint}${route}`, { signal: AbortSignal.timeout(10_000) });
  return (await r.json()) as T;
}

describeWithFlinkCluster("Flink session cluster: Beamline's settings on the job", (services) => {
  test("a 100k-line wordcount at --parallelism=2 with checkpoints and fixed-delay restarts: exact, read by both workers, and Flink shows those settings", async () => {
    // Lines long enough for a file of about 9 MB, which reads split into line-aligned byte ranges (of 1 MB at least).
    const input = path.join(tempDir(), "lines.txt");
    fs.writeFileSync(input, Array.from({ length: 100_000 }, (_, i) => `${letters(i % 5003)} ${letters(7919 + (i % 41))} common${" padding".repeat(9)}`).join("\n") + "\n");
    const direct = tempDir();
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t) };
    expect(await main(["run", WORDCOUNT, `--input=${input}`, `--output=${path.join(direct, "counts")}`], io)).toBe(0);
    const { cluster, server } = services();
    const dir = tempDir();
    const code = await main(
      ["run", WORDCOUNT, `--input=${input}`, "--runner=portable", `--job-endpoint=${server.jobEndpoint}`, "--parallelism=2", `--checkpoint-dir=${tempDir()}`, "--checkpoint-interval=2000",
        "--restart-strategy=fixed-delay", "--restart-attempts=2", "--restart-delay=500", "--runner-option=object_reuse=true", "--runner-option=max_bundle_size=500", `--output=${path.join(dir, "counts")}`],
      io,
    );
    expect([code, err.join("\n")]).toEqual([0, expect.stringContaining("done on the portable")]);
    expect(outputLines(dir, "counts")).toEqual(outputLines(direct, "counts"));
    expect(outputLines(dir, "counts")).toHaveLength(5003 + 41 + 2);
    const jobs = await clusterJobs(cluster.restEndpoint);
    expect(jobs).toHaveLength(1);
    const job = await rest<{ vertices: { id: string; name: string; parallelism: number }[] }>(cluster, `/jobs/${jobs[0].jid}`);
    const checkpoints = await rest<{ interval: number }>(cluster, `/jobs/${jobs[0].jid}/checkpoints/config`);
    const config = await rest<{ "execution-config": { "restart-strategy": string; "object-reuse-mode": boolean } }>(cluster, `/jobs/${jobs[0].jid}/config`);
    // Every vertex but the impulses (one element each, which Flink runs as single sources) at parallelism 2.
    const parallel = job.vertices.filter((v) => !v.name.startsWith("Source: Impulse"));
    expect(parallel.length).toBeGreaterThan(3);
    expect(parallel.map((v) => [v.name, v.parallelism])).toEqual(parallel.map((v) => [v.name, 2]));
    // The file read spread over both workers: each subtask of the vertex that reads parts received some.
    const reader = job.vertices.find((v) => /\{Read\b/.test(v.name))!;
    const subtasks = await rest<{ subtasks: { metrics: { "read-records": number } }[] }>(cluster, `/jobs/${jobs[0].jid}/vertices/${reader.id}`);
    expect(subtasks.subtasks.map((t) => t.metrics["read-records"] > 0)).toEqual([true, true]);
    expect(checkpoints.interval).toBe(2000);
    expect(config["execution-config"]["restart-strategy"]).toMatch(/fixed delay \(PT0\.5S\)\. #2 restart attempts/);
    // A Beam option of Flink's passed with --runner-option (object reuse is off by default).
    expect(config["execution-config"]["object-reuse-mode"]).toBe(true);
  }, 180_000);

  test("--runner-option is checked against the options the job service describes, before any job is submitted", async () => {
    const { cluster, server } = services();
    const before = (await clusterJobs(cluster.restEndpoint)).length;
    const run = async (...options: string[]) => {
      const err: string[] = [];
      const code = await main(["run", WORDCOUNT, "--runner=portable", `--job-endpoint=${server.jobEndpoint}`, `--output=${path.join(tempDir(), "counts")}`, ...options], { out: () => {}, err: (t) => err.push(t) });
      return [code, err.join("\n")];
    };
    expect(await run("--runner-option=max_bundel_size=10")).toEqual([1, expect.stringMatching(/BL_UNKNOWN_RUNNER_OPTION.*max_bundel_size.*did you mean max_bundle_size\?/s)]);
    expect(await run("--runner-option=max_bundle_size=ten")).toEqual([1, expect.stringMatching(/BL_BAD_RUNNER_OPTION.*the runner takes an integer for max_bundle_size/s)]);
    expect(await run("--runner-option=checkpointing_interval=10")).toEqual([1, expect.stringMatching(/BL_RUNNER_OPTION_SET_BY_BEAMLINE.*use --checkpoint-interval with --checkpoint-dir/s)]);
    expect((await clusterJobs(cluster.restEndpoint)).length).toBe(before);
  }, 60_000);
});
