/** One Runner contract behind runPipeline: every runner by name, options that can all be left unset. */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { create, metrics, map, OptionError, Pipeline, RUNNER_NAMES, runPipeline, type Runner, type RunResult } from "beamline";
import { directRunner } from "../../runners/direct-runner";
import { countersOf, portableRunner } from "../../runners/portable-runners";
import { dataflowRunner } from "../../runners/dataflow/runner";

function counting(): Pipeline {
  const p = new Pipeline();
  const seen = metrics.counter("seen");
  p.apply("Rows", create([1, 2, 3])).apply("Count", map((n: number) => (seen.inc(), n * 2)));
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<OptionError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return e as OptionError;
  }
  throw new Error("expected the run to fail");
}

describe("runPipeline", () => {
  test("runs on the direct runner with no options at all, with the common result", async () => {
    const result = await runPipeline(counting());
    expect(result.state).toBe("DONE");
    expect(result.runner).toBe("direct");
    expect(result.metrics.counters.get("Count")?.get("seen")).toBe(3);
    expect(result.parallelism).toBeGreaterThanOrEqual(1);
  });

  test("hands a portable runner's name to that runner (here: one without a job service to reach)", async () => {
    const e = await rejection(runPipeline(counting(), { runner: "portable" }));
    expect(e.code).toBe("BL_NO_JOB_ENDPOINT");
    expect(e.value).toBe("portable");
  });

  test("refuses a runner it does not know, listing those it does", async () => {
    const e = await rejection(runPipeline(counting(), { runner: "spark" } as never));
    expect(e.code).toBe("BL_UNKNOWN_RUNNER");
    expect(e.fix).toContain("direct, flink, prism, portable, dataflow");
  });

  test("hands dataflow to the Dataflow runner, which asks for the project first", async () => {
    const e = await rejection(runPipeline(counting(), { runner: "dataflow" }));
    expect(e.code).toBe("BL_DATAFLOW_OPTION_MISSING");
    expect(e.where).toBe("--project");
  });

  test("loads the portable runners (gRPC, Beam's protos) only when one is asked for", () => {
    const script = `
      const { runPipeline } = require("./runners/run");
      const { Pipeline, create } = require("./index");
      const p = new Pipeline(); p.apply("Rows", create([1]));
      runPipeline(p, { parallelism: 1 }).then(() => {
        const loaded = Object.keys(require.cache);
        console.log(JSON.stringify({ grpc: loaded.some((f) => f.includes("@grpc")), portable: loaded.some((f) => f.includes("portable-runners")) }));
      });`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8" });
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ grpc: false, portable: false });
  });
});

describe("the runners", () => {
  test("each is a Runner named as runPipeline names it", () => {
    const all: Runner<never, RunResult>[] = [directRunner, portableRunner("prism"), portableRunner("flink"), portableRunner("portable"), dataflowRunner];
    expect(all.map((r) => r.name)).toEqual(["direct", "prism", "flink", "portable", "dataflow"]);
    expect([...all.map((r) => r.name)].sort()).toEqual([...RUNNER_NAMES].sort());
  });

  test("a portable run's user metrics become the same named counters a direct run reports", () => {
    const counters = countersOf([
      { transform: "Parse", namespace: "beamline", name: "parsed", value: 4 },
      { transform: "Parse", namespace: "mine", name: "parsed", value: 1 },
      { transform: "Parse", namespace: "beamline", name: "size", value: { count: 2, sum: 10, min: 3, max: 7 } },
    ]);
    expect(counters).toEqual(new Map([["Parse", new Map([["parsed", 5], ["size.count", 2], ["size.sum", 10]])]]));
  });
});
