/**
 * Beamline's run settings reach a Flink session cluster, seen through Flink's REST API: the job's
 * vertices run at `--parallelism`, `--checkpoint-dir` with `--checkpoint-interval` is the job's
 * checkpointing, `--restart-strategy=fixed-delay` its restart strategy; and the output is exact.
 */
import * as path from "node:path";
import { clusterJobs, FlinkCluster } from "../../runners/flink/flink";
import { main } from "../../runners/cli";
import { tempDir } from "../helpers";
import { outputLines } from "./pipelines";
import { describeWithFlinkCluster } from "./services";

const WORDCOUNT = path.join(__dirname, "../../examples/wordcount.ts");

/** A JSON document of the cluster's REST API. */
async function rest<T>(cluster: FlinkCluster, route: string): Promise<T> {
  const r = await fetch(`http://${cluster.restEndpoint}${route}`, { signal: AbortSignal.timeout(10_000) });
  return (await r.json()) as T;
}

describeWithFlinkCluster("Flink session cluster: Beamline's settings on the job", (services) => {
  test("a wordcount at --parallelism=2 with checkpoints and fixed-delay restarts: exact, and Flink shows those settings", async () => {
    const direct = tempDir();
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t) };
    expect(await main(["run", WORDCOUNT, `--output=${path.join(direct, "counts")}`], io)).toBe(0);
    const { cluster, server } = services();
    const dir = tempDir();
    const code = await main(
      ["run", WORDCOUNT, "--runner=portable", `--job-endpoint=${server.jobEndpoint}`, "--parallelism=2", `--checkpoint-dir=${tempDir()}`, "--checkpoint-interval=2000",
        "--restart-strategy=fixed-delay", "--restart-attempts=2", "--restart-delay=500", `--output=${path.join(dir, "counts")}`],
      io,
    );
    expect([code, err.join("\n")]).toEqual([0, expect.stringContaining("done on the portable")]);
    expect(outputLines(dir, "counts")).toEqual(outputLines(direct, "counts"));
    const jobs = await clusterJobs(cluster.restEndpoint);
    expect(jobs).toHaveLength(1);
    const job = await rest<{ vertices: { name: string; parallelism: number }[] }>(cluster, `/jobs/${jobs[0].jid}`);
    const checkpoints = await rest<{ interval: number }>(cluster, `/jobs/${jobs[0].jid}/checkpoints/config`);
    const config = await rest<{ "execution-config": { "restart-strategy": string } }>(cluster, `/jobs/${jobs[0].jid}/config`);
    // Every vertex but the impulses (one element each, which Flink runs as single sources) at parallelism 2.
    const parallel = job.vertices.filter((v) => !v.name.startsWith("Source: Impulse"));
    expect(parallel.length).toBeGreaterThan(3);
    expect(parallel.map((v) => [v.name, v.parallelism])).toEqual(parallel.map((v) => [v.name, 2]));
    expect(checkpoints.interval).toBe(2000);
    expect(config["execution-config"]["restart-strategy"]).toMatch(/fixed delay \(PT0\.5S\)\. #2 restart attempts/);
  }, 180_000);
});
