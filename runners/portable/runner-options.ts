/**
 * Beam pipeline options a user passes to a portable runner by Beam's own names (`--runner-option
 * max_bundle_size=100`, or `pipelineOptions` in code), checked against the options the job service
 * describes (`DescribePipelineOptions`: each option's name and type) before anything is submitted: an
 * unknown name, a value of the wrong type, or an option Beamline sets from its own flags is refused
 * with the fix, rather than ignored by the runner or silently overridden.
 */
import { OptionError } from "../../sdk/errors";
import { editDistance } from "../../sdk/options";

/** One option a job service describes (Beam's `PipelineOptionDescriptor`). */
export interface DescribedOption {
  readonly name: string;
  /** Beam's `PipelineOptionType`: STRING, BOOLEAN, INTEGER, NUMBER, ARRAY or OBJECT. */
  readonly type?: string;
  readonly group?: string;
}

/**
 * Options Beamline sets itself from its own settings, by Beam's name, with the setting to use instead
 * (each would be overridden, or would break what Beamline relies on).
 */
const SET_BY_BEAMLINE: Readonly<Record<string, string>> = {
  job_name: "--job-name (jobName in code)",
  runner: "--runner",
  streaming: "nothing: Beamline runs Flink jobs in streaming mode, which also ends with bounded input",
  flink_master: "--flink-master",
  checkpointing_interval: "--checkpoint-interval with --checkpoint-dir",
  state_backend: "--checkpoint-dir (Flink's filesystem state backend in that directory)",
  state_backend_storage_path: "--checkpoint-dir",
  shutdown_sources_after_idle_ms: "nothing: Beamline keeps the sources of an endless job open and ends those of a bounded one",
  finish_bundle_before_checkpointing: "nothing: Beamline finishes bundles before a checkpoint's barrier, or a read could stall",
  number_of_execution_retries: "--restart-strategy with --restart-attempts",
  execution_retry_delay: "--restart-delay",
  environment_type: "--environment-type",
  default_environment_type: "--environment-type",
  environment_config: "--environment-config",
  default_environment_config: "--environment-config",
  environment_options: "--environment-type and --environment-config",
  job_endpoint: "--job-endpoint",
};

/** Beam options Beamline's own flags set, when the runner takes them. */
const OWN_FLAGS: Readonly<Record<string, string>> = { parallelism: "--parallelism" };

/** The nearest described name to `name`, when close enough to be a typo. */
function nearest(name: string, names: readonly string[]): string | null {
  const scored = names.map((n) => ({ n, d: editDistance(name, n) })).sort((a, b) => a.d - b.d);
  return scored.length > 0 && scored[0].d <= Math.max(2, Math.floor(name.length / 4)) ? scored[0].n : null;
}

/** `value` as the described `type` wants it; throws naming the option when it is not one. */
function convert(name: string, type: string | undefined, value: unknown): unknown {
  const bad = (what: string, example: string) =>
    new OptionError({ code: "BL_BAD_RUNNER_OPTION", where: `runner option ${name}`, value, rule: `the runner takes ${what} for ${name}`, fix: `pass ${name}=${example}` });
  switch (type) {
    case "BOOLEAN":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      throw bad("true or false", "true");
    case "INTEGER": {
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw bad("an integer", "100");
      return n;
    }
    case "NUMBER": {
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw bad("a number", "0.5");
      return n;
    }
    case "ARRAY":
      if (Array.isArray(value)) return value;
      if (typeof value === "string") return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
      throw bad("a list", "a,b");
    default:
      return value;
  }
}

/**
 * The user's runner options checked and converted for a job service that describes `described` (null:
 * the service does not say; then they pass as given). `runner` names the runner in messages.
 */
export function checkRunnerOptions(given: Readonly<Record<string, unknown>>, described: readonly DescribedOption[] | null, runner: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const byName = new Map((described ?? []).map((d) => [d.name, d]));
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const instead = SET_BY_BEAMLINE[name];
    if (instead !== undefined) {
      throw new OptionError({ code: "BL_RUNNER_OPTION_SET_BY_BEAMLINE", value: name, rule: `Beamline sets the runner option ${name} itself`, fix: `use ${instead}` });
    }
    if (described !== null && !byName.has(name) && name in OWN_FLAGS) {
      throw new OptionError({ code: "BL_UNSUPPORTED_RUN_OPTION", value: OWN_FLAGS[name], rule: `the ${runner} runner takes no ${name} setting (its job service describes no ${name} option)`, fix: `leave ${OWN_FLAGS[name]} out` });
    }
    if (described !== null && !byName.has(name)) {
      const near = nearest(name, [...byName.keys()]);
      throw new OptionError({
        code: "BL_UNKNOWN_RUNNER_OPTION",
        value: name,
        rule:
          byName.size === 0
            ? `the ${runner} runner's job service describes no pipeline options, so it takes none`
            : `the ${runner} runner's job service does not describe a pipeline option named ${name}`,
        fix:
          byName.size === 0
            ? "leave the runner option out"
            : `${near ? `did you mean ${near}? ` : ""}use Beam's snake_case name of one of its options (${[...byName.keys()].filter((n) => !(n in SET_BY_BEAMLINE)).sort().slice(0, 12).join(", ")}, …)`,
      });
    }
    out[name] = convert(name, byName.get(name)?.type, value);
  }
  return out;
}

/** `NAME=VALUE` arguments (`--runner-option`) as options by name; throws for one without `=`. */
export function parseRunnerOptions(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new OptionError({ code: "BL_BAD_RUNNER_OPTION", where: "option --runner-option", value: arg, rule: "a runner option is NAME=VALUE, with Beam's name of the option", fix: "pass e.g. --runner-option=max_bundle_size=100" });
    }
    out[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return out;
}
