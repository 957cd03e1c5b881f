/**
 * Beam pipeline options passed to a portable runner by Beam's names (`--runner-option NAME=VALUE`,
 * `pipelineOptions` in code): checked against the options the job service describes before anything
 * is submitted, converted to the described type, and refused where Beamline sets the option itself.
 */
import { option, OptionError } from "beamline";
import { checkRunnerOptions, parseRunnerOptions } from "../../../runners/portable/runner-options";
import { parseOptions } from "../../../sdk/options";
import { main } from "../../../runners/cli";
import * as path from "node:path";

/** Some of what Beam's Flink job server describes. */
const FLINK = [
  { name: "max_bundle_size", type: "INTEGER", group: "org.apache.beam.runners.flink.FlinkPipelineOptions" },
  { name: "object_reuse", type: "BOOLEAN", group: "org.apache.beam.runners.flink.FlinkPipelineOptions" },
  { name: "parallelism", type: "INTEGER", group: "org.apache.beam.runners.flink.FlinkPipelineOptions" },
  { name: "checkpointing_interval", type: "INTEGER", group: "org.apache.beam.runners.flink.FlinkPipelineOptions" },
  { name: "experiments", type: "ARRAY", group: "org.apache.beam.sdk.options.ExperimentalOptions" },
  { name: "job_name", type: "STRING", group: "org.apache.beam.sdk.options.PipelineOptions" },
];

function refusal(f: () => unknown): OptionError {
  try {
    f();
  } catch (e) {
    return e as OptionError;
  }
  throw new Error("not refused");
}

test("runner options are converted to the type the job service describes", () => {
  expect(checkRunnerOptions({ max_bundle_size: "100", object_reuse: "true", experiments: "a,b", parallelism: 2 }, FLINK, "flink")).toEqual({
    max_bundle_size: 100,
    object_reuse: true,
    experiments: ["a", "b"],
    parallelism: 2,
  });
  // A service that does not describe its options gets them as given.
  expect(checkRunnerOptions({ anything: "x" }, null, "portable")).toEqual({ anything: "x" });
});

test("an unknown name, a value of the wrong type, and an option Beamline sets itself are refused with the fix", () => {
  const typo = refusal(() => checkRunnerOptions({ max_bundel_size: "10" }, FLINK, "flink"));
  expect([typo.code, typo.value]).toEqual(["BL_UNKNOWN_RUNNER_OPTION", "max_bundel_size"]);
  expect(typo.fix).toMatch(/^did you mean max_bundle_size\? use Beam's snake_case name/);
  const wrongType = refusal(() => checkRunnerOptions({ max_bundle_size: "ten" }, FLINK, "flink"));
  expect([wrongType.code, wrongType.rule, wrongType.fix]).toEqual(["BL_BAD_RUNNER_OPTION", "the runner takes an integer for max_bundle_size", "pass max_bundle_size=100"]);
  expect(refusal(() => checkRunnerOptions({ object_reuse: "yes" }, FLINK, "flink")).rule).toBe("the runner takes true or false for object_reuse");
  const own = refusal(() => checkRunnerOptions({ checkpointing_interval: "10" }, FLINK, "flink"));
  expect([own.code, own.fix]).toEqual(["BL_RUNNER_OPTION_SET_BY_BEAMLINE", "use --checkpoint-interval with --checkpoint-dir"]);
  expect(refusal(() => checkRunnerOptions({ job_name: "x" }, FLINK, "flink")).fix).toBe("use --job-name (jobName in code)");
  // Prism describes no options: it takes none, and --parallelism is named as the flag the user gave.
  const prism = refusal(() => checkRunnerOptions({ max_bundle_size: "1" }, [], "prism"));
  expect([prism.code, prism.rule]).toEqual(["BL_UNKNOWN_RUNNER_OPTION", "the prism runner's job service describes no pipeline options, so it takes none"]);
  const parallelism = refusal(() => checkRunnerOptions({ parallelism: 2 }, [], "prism"));
  expect([parallelism.code, parallelism.value, parallelism.fix]).toEqual(["BL_UNSUPPORTED_RUN_OPTION", "--parallelism", "leave --parallelism out"]);
});

test("--runner-option is repeatable, NAME=VALUE, and refused on the direct runner", async () => {
  const specs = { runnerOption: option.list("a runner option", { default: [] as string[] }) };
  expect(parseOptions(["--runner-option=a=1", "--runner-option", "b=x=y"], specs).values.runnerOption).toEqual(["a=1", "b=x=y"]);
  expect(parseOptions([], specs).values.runnerOption).toEqual([]);
  expect(parseRunnerOptions(["a=1", "b=x=y"])).toEqual({ a: "1", b: "x=y" });
  expect(refusal(() => parseRunnerOptions(["max_bundle_size"])).code).toBe("BL_BAD_RUNNER_OPTION");
  const err: string[] = [];
  const code = await main(["run", path.join(__dirname, "../../../examples/wordcount.ts"), "--runner-option=max_bundle_size=10"], { out: () => {}, err: (t) => err.push(t) });
  expect([code, err.join("\n")]).toEqual([1, expect.stringContaining("BL_UNSUPPORTED_RUN_OPTION")]);
  expect(err.join("\n")).toContain("the direct runner does not take --runner-option");
});
