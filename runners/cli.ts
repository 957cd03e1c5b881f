/**
 * The `beamline` command: `beamline run <pipeline-file.ts> [--runner=direct] [--<option>=<value> ...]`.
 * A pipeline file default-exports a definition (see `definePipeline`); its options and the runner's
 * are parsed together, unknown ones refused with the list of known ones.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildPipeline, isPipelineDefinition, PipelineDefinition } from "../sdk/definition";
import type { Pipeline } from "../sdk/pipeline";
import { BeamlineError, OptionError, PipelineConstructionError } from "../sdk/errors";
import { formatOptionHelp, option, OptionSpecs, parseOptions } from "../sdk/options";
import { RUNNER_NAMES } from "../sdk/runner";
import { runPipeline } from "./run";
import { DEFAULT_FLINK_VERSION, FLINK_VERSIONS } from "./flink/flink";
import type { ProgressStream } from "./direct/execution/progress";
import type { DirectRunnerOptions } from "./direct/runner";
import { checkpointLines } from "./commands/checkpoints";
import { optionsOfOtherRunners } from "./commands/option-scope";
import { parseFaultSeed, runUnderFaults } from "./commands/inject-faults";
import { workerPoolCommand } from "./commands/worker-pool";
import { parseRunnerOptions } from "./portable/runner-options";
import { planDot, planSvg } from "./direct/plan/picture";
import { defaultOperators } from "./direct/operators/registry";
import { plan } from "./direct/plan/planner";
import { RESTART_STRATEGIES, restartStrategy, RestartStrategy } from "./direct/parallel/restart";
import { formatCheckpointReport } from "./direct/checkpoint/report";
import { STATE_BACKENDS } from "./direct/state/state-backend";
import type { StateBackendKind } from "./direct/contract/operator";
import type { RunEvent } from "./direct/contract/run-events";
import { DEFAULT_TOLERABLE_CHECKPOINT_FAILURES } from "./direct/checkpoint/failures";
import { formatRunEvent } from "./direct/run-event-lines";
import { userFrame } from "./direct/user-frame";

/** Options every run accepts, whatever the pipeline. */
export const RUNNER_OPTIONS = {
  runner: option.enum("where to run the pipeline", RUNNER_NAMES, { default: "direct" as const }),
  jobEndpoint: option.string("flink, prism, portable: a running Beam job service, HOST:PORT (flink and prism start one when absent)", { default: "" }),
  flinkMaster: option.string("flink: [local] for an embedded Flink, or a session cluster's REST HOST:PORT", { default: "[local]" }),
  flinkVersion: option.string(`flink: the Flink version of the job server (and embedded Flink) Beamline starts; available: ${FLINK_VERSIONS.join(", ")}`, { default: DEFAULT_FLINK_VERSION }),
  environmentType: option.enum("flink, prism, portable: how the runner starts Beamline's SDK harness", ["LOOPBACK", "EXTERNAL", "PROCESS", "DOCKER"] as const, { default: "LOOPBACK" as const }),
  environmentConfig: option.string("EXTERNAL: the worker pool's HOST:PORT; PROCESS: the boot command; DOCKER: the SDK harness image", { default: "" }),
  runnerOption: option.list("flink, prism, portable: a Beam pipeline option for the runner as NAME=VALUE, by Beam's name (e.g. max_bundle_size=100 on Flink); repeatable; checked against the options the job service describes", { default: [] }),
  batchSize: option.integer("rows per batch emitted by grouping steps", { default: 65536, min: 1 }),
  parallelism: option.integer("worker threads running the pipeline (1: run in the main thread)", { default: os.availableParallelism(), min: 1 }),
  restartStrategy: option.enum("what a run does when a worker thread dies (flink: execution retries; prism refuses it)", RESTART_STRATEGIES, { default: "none" as const }),
  restartAttempts: option.integer("restarts allowed by fixed-delay and exponential-backoff", { default: 3 }),
  restartDelay: option.integer("ms before a restart (the first, for exponential-backoff, which doubles it)", { default: 1000 }),
  stateBackend: option.enum("direct: where stateful steps keep keyed state and timers: memory, or LMDB files on disk for state larger than memory (checkpointed incrementally)", STATE_BACKENDS, { default: "memory" as const }),
  stateDir: option.string("direct, with --state-backend=disk: the directory under which each stateful step makes its state files, removed when the run ends; made when missing (default: the OS's temp directory)", { default: "" }),
  checkpointDir: option.string("directory for aligned checkpoints (none: the run takes no checkpoints; flink: its checkpoint storage; prism refuses it)", { default: "" }),
  checkpointInterval: option.integer("ms between checkpoints, with --checkpoint-dir", { default: 1000 }),
  checkpointsRetained: option.integer("completed checkpoints kept in --checkpoint-dir", { default: 3 }),
  tolerableCheckpointFailures: option.integer(
    `failed checkpoints in a row a run goes on after (each is reported, and the next one retries); one more ends the run with BL_CHECKPOINT_FAILED, which --restart-strategy may restart. Flink's tolerableCheckpointFailureNumber defaults to 0; ${DEFAULT_TOLERABLE_CHECKPOINT_FAILURES} here rides out a brief disk problem`,
    { default: DEFAULT_TOLERABLE_CHECKPOINT_FAILURES },
  ),
  resume: option.boolean(
    "continue from the latest completed checkpoint in --checkpoint-dir, which must exist (with none completed there, the run starts from the beginning and says so); refused when the pipeline's code changed since",
    { default: false },
  ),
  forceCodeChange: option.boolean("with --resume: resume even though the pipeline's code changed since the checkpoint was taken", { default: false }),
  metricsPort: option.integer("direct: serve Prometheus metrics at http://HOST:PORT/metrics while the run goes (0: any free port)"),
  metricsHost: option.string("the address --metrics-port (direct) and --ui-port listen on", { default: "127.0.0.1" }),
  uiPort: option.integer("serve a web page about the run (direct) or the job (flink, prism, portable) at http://HOST:PORT/ while it goes (0: any free port)"),
  project: option.string("dataflow: the Google Cloud project the job runs in", { default: "" }),
  region: option.string("dataflow: the region the job runs in, e.g. us-central1", { default: "" }),
  tempLocation: option.string("dataflow: a gs://BUCKET/PREFIX for temporary files", { default: "" }),
  stagingLocation: option.string("dataflow: a gs://BUCKET/PREFIX the pipeline and its bundle are staged to (default: <temp-location>/staging)", { default: "" }),
  streaming: option.boolean("dataflow: run the job in streaming mode", { default: false }),
  serviceAccount: option.string("dataflow: the service account e-mail the workers run as", { default: "" }),
  network: option.string("dataflow: the VPC network of the workers", { default: "" }),
  subnetwork: option.string("dataflow: the workers' subnetwork, regions/REGION/subnetworks/NAME", { default: "" }),
  maxWorkers: option.integer("dataflow: the most workers the job may autoscale to"),
  sdkContainerImage: option.string("dataflow: Beamline's SDK harness image (containers/sdk/Dockerfile; default: REGION-docker.pkg.dev/PROJECT/beamline/beamline-sdk:VERSION)", { default: "" }),
  detach: option.boolean("dataflow: return once the job is created instead of following it", { default: false }),
  dataflowJobFile: option.string("dataflow: write the job request to this file, without staging or submitting anything", { default: "" }),
  jobName: option.string("dataflow: the job's name (default: beamline-<file>-<time>)", { default: "" }),
  dataflowEndpoint: option.string(`dataflow: the Dataflow API's root URL (default: $BEAMLINE_DATAFLOW_ENDPOINT or https://dataflow.googleapis.com/)`, { default: "" }),
  injectFaults: option.string(
    "direct, soak runs: inject COUNT faults of seed SEED's plan (SEED:COUNT; threads dying, the process killed at barriers, checkpoint writes and commits, reads and commits failing, parts delayed), resuming after each crash; each fault is printed as it fires, and the same value replays them",
    { default: "" },
  ),
  help: option.boolean("show the runner's and the pipeline's options", { default: false }),
} satisfies OptionSpecs;

const USAGE = `Usage:
  beamline run <pipeline-file.ts> [--runner=direct] [--<option>=<value> ...]
  beamline run <pipeline-file.ts> --help     options of the runner and of the pipeline
  beamline graph <pipeline-file.ts> [--graph-output=PREFIX] [--<option>=<value> ...]
                                             the plan as PREFIX.dot and PREFIX.svg (default: the file's name)
  beamline checkpoints <checkpoint-dir>      the checkpoints a run took, with their size and age
  beamline worker-pool [--port=PORT] [--host=HOST]
                                             a worker pool for EXTERNAL environments (Ctrl-C stops it)
  beamline --help`;

/** Where the command writes. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Where a direct run's progress line goes; drawn only when it is a terminal. */
  readonly progress?: ProgressStream;
}

const stdio: CliIO = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: process.stderr,
};

/** The direct runner's metrics and UI options from the command line: each served when its port is given, its URL printed on stderr. */
function observability(metricsPort: number | undefined, uiPort: number | undefined, host: string, file: string, io: CliIO): Partial<DirectRunnerOptions> {
  return {
    metricsHost: host,
    jobName: path.basename(file).replace(/\.[cm]?[jt]s$/, ""),
    ...(metricsPort !== undefined ? { metricsPort, onMetricsServer: (url: string) => io.err(`beamline: metrics at ${url}`) } : {}),
    ...(uiPort !== undefined ? { uiPort, onUiServer: (url: string) => io.err(`beamline: web UI at ${url}`) } : {}),
  };
}

/** `beamline graph FILE`: builds the pipeline with the options given and writes its direct-runner plan as DOT and SVG. */
function writeGraph(args: readonly string[], io: CliIO): number {
  const file = args.find((a) => !a.startsWith("--"));
  if (!file) throw new OptionError({ code: "BL_NO_PIPELINE_FILE", rule: "no pipeline file given", fix: USAGE });
  const def = loadDefinition(file);
  const specs = { ...def.options, graphOutput: option.string("where the graph goes: PREFIX.dot and PREFIX.svg", { default: path.basename(file).replace(/\.[cm]?[jt]s$/, "") }) };
  const { values } = parseOptions(args.filter((a) => a !== file), specs);
  const pipelineValues = Object.fromEntries(Object.keys(def.options).map((name) => [name, (values as Record<string, unknown>)[name]]));
  const graph = buildPipeline(def, pipelineValues).graph();
  const p = plan(graph, defaultOperators());
  const prefix = values.graphOutput as string;
  fs.writeFileSync(`${prefix}.dot`, planDot(graph, p));
  fs.writeFileSync(`${prefix}.svg`, planSvg(graph, p));
  io.err(`beamline: ${p.nodes.length} steps in ${p.stages.length} stages: ${prefix}.dot, ${prefix}.svg`);
  return 0;
}

/** The names a pipeline file may have: TypeScript or JavaScript. */
const PIPELINE_FILE = /\.[cm]?[jt]s$/;

/** Loads a pipeline definition from a file (TypeScript or JavaScript). */
export function loadDefinition(file: string): PipelineDefinition {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) {
    throw new OptionError({
      code: "BL_NO_PIPELINE_FILE",
      value: file,
      rule: "no such pipeline file",
      fix: "pass the path of a .ts file that default-exports definePipeline({...}), e.g. examples/wordcount.ts",
    });
  }
  const fix = "pass the path of a .ts file that default-exports definePipeline({...}), e.g. examples/wordcount.ts";
  if (fs.statSync(abs).isDirectory()) {
    const inside = fs.readdirSync(abs).filter((f) => PIPELINE_FILE.test(f)).slice(0, 5).map((f) => path.join(file, f));
    throw new OptionError({ code: "BL_PIPELINE_FILE_IS_DIRECTORY", value: file, rule: "is a directory, not a pipeline file", fix: inside.length > 0 ? `pass one of its files, e.g. ${inside.join(", ")}` : fix });
  }
  if (!PIPELINE_FILE.test(abs)) {
    throw new OptionError({ code: "BL_NOT_TYPESCRIPT", value: file, rule: "a pipeline file is TypeScript or JavaScript (.ts, .mts, .cts, .js, .mjs, .cjs)", fix });
  }
  let mod: { default?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(abs) as { default?: unknown };
  } catch (e) {
    // Node reports a SyntaxError in JavaScript; tsx's esbuild a "Transform failed" error listing each one.
    const esbuild = e instanceof Error && /^Transform failed with \d+ error/.test(e.message);
    if (!(e instanceof SyntaxError) && !esbuild) throw e;
    const where = esbuild ? e.message.split("\n").slice(1).join("; ") : e.message.split("\n")[0];
    throw new PipelineConstructionError({ code: "BL_PIPELINE_FILE_SYNTAX", value: file, rule: `the pipeline file does not parse as TypeScript: ${where}`, fix: `correct the file (npx tsc --noEmit ${file} shows where)`, cause: e });
  }
  const def = mod.default;
  if (!isPipelineDefinition(def)) {
    throw new PipelineConstructionError({
      code: "BL_NOT_A_PIPELINE",
      value: file,
      rule: "the file does not default-export a pipeline definition",
      fix: "end the file with `export default definePipeline({ options, build(p, options) { ... } })`",
    });
  }
  return def;
}

function resumeWithoutCheckpoints(): OptionError {
  return new OptionError({ code: "BL_RESUME_WITHOUT_CHECKPOINTS", value: "--resume", rule: "--resume continues from a checkpoint directory, and none was given", fix: "pass --checkpoint-dir=DIR with --resume (the directory of the run to continue)" });
}

/** The exit code of a process that exits while a run is in progress, whatever code it was given. */
export const EXIT_DURING_RUN = 75;

/**
 * Runs `run`; should the process exit meanwhile (something outside the pipeline's instances called
 * `process.exit`, which the runner cannot turn into a failure), says so and never exits 0.
 */
async function whileRunning<T>(io: CliIO, run: () => Promise<T>): Promise<T> {
  const exiting = (code: number) => {
    io.err(`beamline: the process is exiting (code ${code}) before the run finished; its output is incomplete`);
    process.exitCode = EXIT_DURING_RUN;
  };
  process.on("exit", exiting);
  try {
    return await run();
  } finally {
    process.off("exit", exiting);
  }
}

/** Runs the command; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIO = stdio): Promise<number> {
  let pipelineFile: string | undefined;
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "checkpoints") {
      if (rest.length !== 1) throw new OptionError({ code: "BL_NO_CHECKPOINT_DIR", value: rest.join(" "), rule: "beamline checkpoints takes one checkpoint directory", fix: USAGE });
      for (const line of checkpointLines(rest[0])) io.out(line);
      return 0;
    }
    if (command === "graph") return writeGraph(rest, io);
    if (command === "worker-pool") return await workerPoolCommand(rest, io);
    if (command !== "run") {
      throw new OptionError({ code: "BL_UNKNOWN_COMMAND", value: command, rule: "is not a beamline command", fix: `use one of: run, graph, checkpoints, worker-pool. ${USAGE}` });
    }
    const file = rest.find((a) => !a.startsWith("--"));
    if (!file) {
      if (rest.includes("--help")) {
        io.out(`${USAGE}\n\n${formatOptionHelp("Runner options", RUNNER_OPTIONS)}`);
        return 0;
      }
      throw new OptionError({ code: "BL_NO_PIPELINE_FILE", rule: "no pipeline file given", fix: USAGE });
    }
    const def = loadDefinition(file);
    pipelineFile = path.resolve(file);
    const args = rest.filter((a) => a !== file);
    if (args.includes("--help") || args.includes("-h")) {
      const lines = [USAGE, "", formatOptionHelp("Runner options", RUNNER_OPTIONS), "", formatOptionHelp(`Pipeline options (${file})`, def.options)];
      if (def.description) lines.splice(0, 0, def.description, "");
      io.out(lines.join("\n"));
      return 0;
    }
    for (const name of Object.keys(def.options)) {
      if (name in RUNNER_OPTIONS) {
        throw new PipelineConstructionError({
          code: "BL_OPTION_CLASH",
          where: file,
          value: name,
          rule: "a pipeline option has the name of a runner option",
          fix: `rename it; runner options: ${Object.keys(RUNNER_OPTIONS).join(", ")}`,
        });
      }
    }
    const specs = { ...RUNNER_OPTIONS, ...def.options };
    const { values, positional } = parseOptions(args, specs);
    if (positional.length > 0) {
      throw new OptionError({ code: "BL_EXTRA_ARGUMENT", value: positional[0], rule: "unexpected argument; options are written --name=value", fix: USAGE });
    }
    const pipelineValues: Record<string, unknown> = {};
    for (const name of Object.keys(def.options)) pipelineValues[name] = (values as Record<string, unknown>)[name];
    const pipeline = buildPipeline(def, pipelineValues);
    const started = Date.now();
    const given = (name: string) => args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    const foreign = optionsOfOtherRunners(values.runner, given);
    if (foreign) throw foreign;
    if (values.runner === "dataflow") return await runOnDataflow(pipeline, values, path.resolve(file), pipelineValues, io, started);
    if (values.runner !== "direct") {
      if (values.injectFaults) throw new OptionError({ code: "BL_INJECT_FAULTS_RUNNER", value: values.runner, rule: "--inject-faults runs on the direct runner only", fix: "pass --runner=direct with --inject-faults, or leave --inject-faults out" });
      if (values.metricsPort !== undefined) {
        throw new OptionError({ code: "BL_METRICS_PORT_RUNNER", value: values.runner, rule: "--metrics-port serves the direct runner's metrics; a portable job's metrics are the runner's (Flink's metric reporters, or the job service)", fix: "leave --metrics-port out; --ui-port shows the job's state and rows per transform" });
      }
      const checkpointDir = values.checkpointDir as string;
      if (values.resume && !checkpointDir) throw resumeWithoutCheckpoints();
      const r = await runPipeline(pipeline, {
        runner: values.runner as "flink" | "prism" | "portable",
        jobEndpoint: values.jobEndpoint as string,
        flinkMaster: values.flinkMaster as string,
        flinkVersion: values.flinkVersion as string,
        environmentType: values.environmentType,
        environmentConfig: values.environmentConfig as string,
        parallelism: given("parallelism") ? (values.parallelism as number) : undefined,
        pipelineOptions: parseRunnerOptions(values.runnerOption as string[]),
        checkpoint: checkpointDir ? { dir: checkpointDir, intervalMs: values.checkpointInterval as number, resume: values.resume as boolean } : undefined,
        restart: given("restart-strategy") ? { kind: values.restartStrategy as RestartStrategy["kind"], attempts: values.restartAttempts as number, delayMs: values.restartDelay as number } : undefined,
        definition: { file: path.resolve(file), options: pipelineValues },
        ...(values.uiPort !== undefined ? { uiPort: values.uiPort as number, uiHost: values.metricsHost as string, onUiServer: (url: string) => io.err(`beamline: web UI at ${url}`) } : {}),
      });
      io.err(`beamline: ${path.basename(file)} done on the ${values.runner} runner in ${((Date.now() - started) / 1000).toFixed(2)} s (job ${r.jobId})`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { formatUserMetrics } = require("./portable/harness/metrics") as typeof import("./portable/harness/metrics");
      for (const line of formatUserMetrics(r.userMetrics)) io.err(`beamline: ${line}`);
      return 0;
    }
    if (values.injectFaults) {
      const { seed, count } = parseFaultSeed(values.injectFaults as string);
      const childArgs = args.filter((a) => !a.startsWith("--inject-faults"));
      // Faults an earlier round fired, left out to replay a later round (see expectSameOutputUnderFaults).
      const skip = new Set((process.env.BEAMLINE_FAULT_SKIP ?? "").split(",").filter((id) => id !== "").map(Number));
      return (await runUnderFaults({ file, args: childArgs, seed, count, skip, io })).code;
    }
    const restart = restartStrategy(values.restartStrategy as RestartStrategy["kind"], values.restartAttempts as number, values.restartDelay as number);
    const checkpointDir = values.checkpointDir as string;
    if (values.resume && !checkpointDir) throw resumeWithoutCheckpoints();
    const checkpoint = checkpointDir
      ? {
          dir: checkpointDir,
          intervalMs: values.checkpointInterval as number,
          retained: values.checkpointsRetained as number,
          resume: values.resume as boolean,
          forceCodeChange: values.forceCodeChange as boolean,
          tolerableFailures: values.tolerableCheckpointFailures as number,
        }
      : undefined;
    const onEvent = (e: RunEvent) => io.err(`beamline: ${formatRunEvent(e)}`);
    const observed = observability(values.metricsPort as number | undefined, values.uiPort as number | undefined, values.metricsHost as string, file, io);
    const interrupts = interruptions(io, checkpoint !== undefined);
    const result = await whileRunning(io, () =>
      runPipeline(pipeline, { runner: "direct", batchSize: values.batchSize as number, stateBackend: values.stateBackend as StateBackendKind, ...(values.stateDir ? { stateDir: values.stateDir as string } : {}), parallelism: values.parallelism as number, restartStrategy: restart, checkpoint, progress: io.progress, onEvent, ...observed, ...interrupts.signals }),
    ).finally(interrupts.remove);
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    const rows = [...result.metrics.rowsOut.values()].reduce((a, b) => a + b, 0);
    const threads = (result.parallelism === 1 ? "1 thread" : `${result.parallelism} threads`) + (result.restarts === 0 ? "" : result.restarts === 1 ? ", 1 restart" : `, ${result.restarts} restarts`);
    io.err(`beamline: ${path.basename(file)} done on the ${values.runner} runner in ${seconds} s (${result.plan.nodes.length} steps in ${result.plan.stages.length} stages, ${rows} rows moved, ${threads})`);
    if (result.state === "STOPPED") io.err(`beamline: stopped after a final checkpoint; --resume continues from it`);
    if (result.checkpoints) io.err(`beamline: ${formatCheckpointReport(result.checkpoints)}`);
    for (const [transform, counters] of result.metrics.counters) {
      io.err(`beamline: ${transform}: ${[...counters].map(([name, n]) => `${name}=${n}`).join(", ")}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof BeamlineError && e.code === "BL_CANCELLED" && e.where?.startsWith("dataflow job")) {
      io.err(`beamline: cancelled: ${e.message}`);
      return 130;
    }
    if (e instanceof BeamlineError && e.code === "BL_CANCELLED") {
      io.err("beamline: cancelled: nothing after the last completed checkpoint is committed");
      return 130;
    }
    if (e instanceof BeamlineError && e.domain !== "internal") {
      io.err(`error [${e.code}]: ${e.message}`);
      const at = pipelineFile ? userFrame(e, pipelineFile) : null;
      if (at) io.err(`  at ${path.relative(process.cwd(), at.file)}:${at.line}:${at.column} (your code)`);
      return 1;
    }
    io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 70;
  }
}

/** `beamline run FILE --runner=dataflow`: submits, prints the job's id and link, follows it (Ctrl-C cancels it). */
async function runOnDataflow(pipeline: Pipeline, values: Record<string, unknown>, file: string, options: Record<string, unknown>, io: CliIO, started: number): Promise<number> {
  const text = (name: string) => (values[name] as string) || undefined;
  const r = await runPipeline(pipeline, {
    runner: "dataflow",
    project: text("project"),
    region: text("region"),
    tempLocation: text("tempLocation"),
    stagingLocation: text("stagingLocation"),
    streaming: values.streaming as boolean,
    serviceAccount: text("serviceAccount"),
    network: text("network"),
    subnetwork: text("subnetwork"),
    maxWorkers: values.maxWorkers as number | undefined,
    sdkContainerImage: text("sdkContainerImage"),
    detach: values.detach as boolean,
    dataflowJobFile: text("dataflowJobFile"),
    jobName: text("jobName"),
    dataflowEndpoint: text("dataflowEndpoint"),
    definition: { file, options },
    onStaged: (urls) => io.err(`beamline: staged ${urls.join(" and ")}`),
    onSubmitted: (job) => io.err(`beamline: Dataflow job ${job.id} created: ${job.consoleUrl}`),
    onState: (state) => io.err(`beamline: Dataflow job state ${state}`),
    onMessage: (m) => io.err(`beamline: [${(m.messageImportance ?? "").replace("JOB_MESSAGE_", "").toLowerCase()}] ${m.messageText ?? ""}`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  if (r.state === "WRITTEN") io.err(`beamline: the Dataflow job request is in ${values.dataflowJobFile as string}; nothing was staged or submitted`);
  else if (r.state === "SUBMITTED") io.err(`beamline: detached from Dataflow job ${r.jobId} (${r.jobState ?? "submitted"}); it goes on running`);
  else io.err(`beamline: ${path.basename(file)} done on the dataflow runner in ${seconds} s (job ${r.jobId})`);
  return 0;
}

/**
 * Ctrl-C (SIGINT) and SIGTERM while a direct run goes: the first stops a checkpointed run after a
 * final checkpoint and commit (resumable), or cancels one without checkpoints; the second cancels at once.
 */
function interruptions(io: CliIO, checkpointed: boolean): { signals: { stop: AbortSignal; signal: AbortSignal }; remove: () => void } {
  const stop = new AbortController();
  const cancel = new AbortController();
  const on = () => {
    if (checkpointed && !stop.signal.aborted) {
      io.err("beamline: stopping: a final checkpoint and commit, then the run ends (again to cancel at once; --resume continues)");
      stop.abort();
    } else {
      io.err("beamline: cancelling");
      cancel.abort();
    }
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return {
    signals: { stop: stop.signal, signal: cancel.signal },
    remove: () => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
    },
  };
}
