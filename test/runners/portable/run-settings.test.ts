/**
 * The portable run's choices that need no running service: the runner kind read from the options a
 * job service describes, Beamline's checkpoint and restart settings in Flink's terms (or refused), and a
 * failed job's message, which carries the user error's fix once.
 */
import { BeamlineError, OptionError } from "beamline";
import { runnerKindOf } from "../../../runners/portable/detect";
import { runnerSettings } from "../../../runners/portable/runner-settings";
import { jobFailure } from "../../../runners/portable/runner";
import { wrapUserError } from "../../../sdk/errors";
import * as path from "node:path";
import { main } from "../../../runners/cli";
import { optionsOfOtherRunners } from "../../../runners/commands/option-scope";

test("the runner kind comes from the options interfaces the job service lists", () => {
  expect(runnerKindOf([{ name: "job_name", group: "org.apache.beam.sdk.options.PipelineOptions" }, { name: "flink_master", group: "org.apache.beam.runners.flink.FlinkPipelineOptions" }])).toBe("flink");
  expect(runnerKindOf([{ name: "spark_master", group: "org.apache.beam.runners.spark.SparkPipelineOptions" }])).toBe("spark");
  expect(runnerKindOf([])).toBe("prism");
});

test("a checkpoint directory and a fixed-delay restart become Flink's checkpointing and execution retries", () => {
  expect(runnerSettings("flink", { checkpoint: { dir: "/tmp/ckpt", intervalMs: 5000 }, restart: { kind: "fixed-delay", attempts: 4, delayMs: 250 } })).toEqual({
    checkpointing_interval: 5000,
    state_backend: "filesystem",
    state_backend_storage_path: "file:///tmp/ckpt",
    shutdown_sources_after_idle_ms: 0,
    finish_bundle_before_checkpointing: true,
    number_of_execution_retries: 4,
    execution_retry_delay: 250,
  });
  // A job that reads an unbounded source keeps its sources open: Flink completes checkpoints past an impulse only while its task runs.
  expect(runnerSettings("flink", { checkpoint: { dir: "/tmp/ckpt", intervalMs: 5000 }, endless: true })).toEqual({
    checkpointing_interval: 5000,
    state_backend: "filesystem",
    state_backend_storage_path: "file:///tmp/ckpt",
    finish_bundle_before_checkpointing: true,
  });
  expect(runnerSettings("flink", { restart: { kind: "none" } })).toEqual({ number_of_execution_retries: 0 });
  expect(runnerSettings("prism", {})).toEqual({});
  expect(runnerSettings("prism", { restart: { kind: "none" } })).toEqual({});
});

test("settings a runner cannot honour are refused with the option and the reason", () => {
  const refused = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as OptionError;
    }
    throw new Error("not refused");
  };
  const cases: [() => unknown, string][] = [
    [() => runnerSettings("prism", { checkpoint: { dir: "/tmp/c", intervalMs: 1000 } }), "--checkpoint-dir"],
    [() => runnerSettings("prism", { restart: { kind: "fixed-delay", attempts: 2, delayMs: 10 } }), "--restart-strategy"],
    [() => runnerSettings("flink", { restart: { kind: "exponential-backoff", attempts: 2, delayMs: 10 } }), "--restart-strategy=exponential-backoff"],
    [() => runnerSettings("flink", { checkpoint: { dir: "/tmp/c", intervalMs: 1000, resume: true } }), "--resume"],
  ];
  for (const [f, option] of cases) {
    const e = refused(f);
    expect(e).toBeInstanceOf(OptionError);
    expect([option, e.code, e.value]).toEqual([option, "BL_UNSUPPORTED_RUN_OPTION", option]);
    expect(e.fix).toBeTruthy();
  }
  expect(refused(() => runnerSettings("flink", { checkpoint: { dir: "/tmp/c", intervalMs: 0 } })).code).toBe("BL_BAD_CHECKPOINT_INTERVAL");
});

test("a failed job's message names the user function's error and gives its fix once", () => {
  const user = wrapUserError(new Error("no twos here"), "Picky", 2);
  const e = jobFailure("flink", "job-1", "FAILED", [user], []);
  expect(e).toBeInstanceOf(BeamlineError);
  expect(e.message).toContain('transform "Picky"');
  expect(e.message).toContain("no twos here");
  expect(e.message.split(user.fix!).length - 1).toBe(1);
  expect(e.fix).toBe(user.fix);
});

test("the direct runner's own settings given to a portable runner are refused on the command line before anything starts, each named with why", async () => {
  const err: string[] = [];
  const code = await main(["run", path.join(__dirname, "../../../examples/wordcount.ts"), "--runner=flink", "--batch-size=10", "--state-backend=disk", "--state-dir=/tmp/x", "--checkpoints-retained=5"], { out: () => {}, err: (t) => err.push(t) });
  expect(code).toBe(1);
  const text = err.join("\n");
  expect(text).toContain("BL_UNSUPPORTED_RUN_OPTION");
  for (const flag of ["--batch-size", "--state-backend", "--state-dir", "--checkpoints-retained"]) expect(text).toContain(flag);
  expect(text).toContain("--runner=direct");
  // Only what the direct runner alone takes: its options shared with Flink go on to the runner.
  expect(optionsOfOtherRunners("flink", (f) => f === "checkpoint-dir" || f === "parallelism")).toBeNull();
  expect(optionsOfOtherRunners("direct", (f) => f === "batch-size")).toBeNull();
});
