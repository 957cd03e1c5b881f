/** The direct runner: plans and executes a pipeline locally. */
import type { Pipeline } from "../../sdk/pipeline";
import * as fs from "node:fs";
import * as os from "node:os";
import { OptionError } from "../../sdk/errors";
import { READ_URN } from "../../sdk/source";
import { defaultOperators } from "./operators/registry";
import type { BoundedSource } from "../../sdk/source";
import { pipelineSpec, PipelineSpec } from "./parallel/bootstrap";
import { runParallel } from "./parallel/coordinator";
import { KEY_GROUPS } from "./data/key-groups";
import { isRestartable, restartDelay, RestartStrategy } from "./parallel/restart";
import type { RunMetrics } from "./contract/run-metrics";
import { CheckpointCoordinator, CheckpointOptions, loadCheckpoint, LoadedCheckpoint } from "./checkpoint/coordinator";
import { CheckpointStore, type CompletedCheckpoint } from "./checkpoint/store";
import { changedFiles, CodeFiles, codeFiles } from "./checkpoint/code-fingerprint";
import { pipelineOrigin } from "../../sdk/definition";
import { DirectoryLock } from "./checkpoint/dir-lock";
import { CheckpointFailurePolicy, DEFAULT_TOLERABLE_CHECKPOINT_FAILURES } from "./checkpoint/failures";
import type { OperatorRegistry, StateBackendKind } from "./contract/operator";
import { checkStateBackend } from "./state/state-backend";
import { checkStateDir, checkStateDirWanted } from "./state/state-dir";
import { plan, Plan } from "./plan/planner";
import type { RunEvents } from "./contract/run-events";
import { BeamlineError } from "../../sdk/errors";
import { failureInBrief } from "./run-event-lines";
import { InputProgress, ProgressBoard, ProgressLine, ProgressSnapshot, ProgressStream } from "./execution/progress";
import { MIN_TIMESTAMP } from "../../sdk/time";
import { MetricResults, type MetricQueryResults, type MetricsFilter } from "../../sdk/metrics";
import { LiveMetrics, type TransformTotals } from "../metrics/live";
import { checkPort, serveMetrics, type MetricsServer } from "../metrics/server";
import { serveUi } from "../metrics/ui";
import type { PipelineGraph } from "../../sdk/graph";
import { planData, planSvg } from "./plan/picture";

/** Options of the direct runner. */
export interface DirectRunnerOptions {
  /** Target rows per batch emitted by grouping operators. Default 65536. */
  readonly batchSize?: number;
  /**
   * Where stateful steps keep keyed state and timers: `"memory"` (default), or `"disk"`, LMDB files
   * per step instance for state larger than memory, checkpointed incrementally.
   */
  readonly stateBackend?: StateBackendKind;
  /**
   * With the disk backend (only): the directory under which each step instance makes its files, removed
   * when it ends; made when missing, and checked writable before the run starts. Default: the OS's temp directory.
   */
  readonly stateDir?: string;
  /** Operators by URN; defaults to {@link defaultOperators}. */
  readonly operators?: OperatorRegistry;
  /**
   * Worker threads running instances of the plan. Default: the number of cores. Runs on one thread
   * (in this one) when 1, or when the pipeline cannot reach workers (see {@link parallelismFor}).
   */
  readonly parallelism?: number;
  /** How a run restarts when an instance fails with a retriable error (a worker thread died). Default: no restart. */
  readonly restartStrategy?: RestartStrategy;
  /** Cancels a run (an unbounded pipeline runs until cancelled): the run rejects with BL_CANCELLED, and nothing more commits. */
  readonly signal?: AbortSignal;
  /**
   * Stops a checkpointed run gracefully, as Flink's stop with a savepoint: a final checkpoint is taken
   * and committed (sinks publish everything before its barrier), what came after it is thrown away,
   * and the run resolves with `state: "STOPPED"`; `resume` continues from that checkpoint exactly.
   */
  readonly stop?: AbortSignal;
  /** Aligned checkpoints into a directory, and resuming from the latest one. Default: none. */
  readonly checkpoint?: CheckpointOptions;
  /**
   * Where the run's progress line goes (rows, throughput, watermark, last checkpoint), redrawn while
   * it runs when the stream is a terminal; nothing is written otherwise. Default: none.
   */
  readonly progress?: ProgressStream;
  /** Receives what the run reports as it happens: restarts, failed checkpoints, a resume that starts afresh. Default: none. */
  readonly onEvent?: RunEvents;
  /**
   * Serves the run's metrics in Prometheus's text format at `http://metricsHost:metricsPort/metrics`
   * while it runs (0: any free port; see `onMetricsServer`). Default: not served.
   */
  readonly metricsPort?: number;
  /** The address the metrics endpoint listens on. Default `127.0.0.1` (loopback only). */
  readonly metricsHost?: string;
  /** How often each instance reports its metrics while the run goes (ms), when they are served. Default 1000. */
  readonly metricsIntervalMs?: number;
  /** Told the URL of the metrics endpoint once it listens. */
  readonly onMetricsServer?: (url: string) => void;
  /**
   * Serves a web page about the run at `http://metricsHost:uiPort/` while it runs: the plan by fused
   * stage, live throughput and watermarks per transform, checkpoints, recent errors, the options
   * (0: any free port; see `onUiServer`). Default: not served.
   */
  readonly uiPort?: number;
  /** Told the URL of the web UI once it listens. */
  readonly onUiServer?: (url: string) => void;
  /** The run's name: the `pipeline` label of its metrics. Default `beamline`. */
  readonly jobName?: string;
}

/** What a checkpointed run did with checkpoints. */
export interface CheckpointReport {
  /** The checkpoint the run resumed from, or null. */
  readonly restoredFrom: number | null;
  /** How long each checkpoint the run completed took, from trigger to manifest (ms). */
  readonly durationsMs: readonly number[];
  /** The bytes of state each checkpoint the run completed wrote (all instances' files). */
  readonly sizesBytes: readonly number[];
  /** The checkpoint each restart after a worker thread died restored (null: it started over). */
  readonly restartedFrom: readonly (number | null)[];
}

/** The metrics of a direct run: its counters, each transform's system metrics, and the user metrics to query. */
export interface DirectRunMetrics extends RunMetrics {
  /** Each transform's rows, batches and bytes in and out, processing and backpressure time, over every instance and attempt. */
  readonly transforms: ReadonlyMap<string, TransformTotals>;
  /** The user metrics (counters, distributions, gauges) `filter` selects, as with Beam's `MetricResults.query`. */
  query(filter?: MetricsFilter): MetricQueryResults;
}

/** The result of a run. */
export interface PipelineResult {
  /** `DONE`: every input ended; `STOPPED`: stopped by `stop` after a final checkpoint. */
  readonly state: "DONE" | "STOPPED";
  readonly metrics: DirectRunMetrics;
  readonly plan: Plan;
  /** Worker threads that ran the plan (1: the calling thread). */
  readonly parallelism: number;
  /** How many times the run restarted after a worker thread died. */
  readonly restarts: number;
  /** Checkpoints taken and restored, when the run was checkpointed. */
  readonly checkpoints?: CheckpointReport;
}

/** Runs pipelines locally. */
export class DirectRunner {
  private readonly operators: OperatorRegistry;
  private readonly batchSize: number;
  private readonly stateBackend: StateBackendKind;
  private readonly parallelism: number;
  private readonly customOperators: boolean;
  private readonly restartStrategy: RestartStrategy;
  private readonly checkpoint?: CheckpointOptions;
  private readonly signal: AbortSignal | undefined;
  private readonly progress: ProgressStream | undefined;
  private readonly onEvent: RunEvents;
  private readonly options: DirectRunnerOptions;

  constructor(options: DirectRunnerOptions = {}) {
    this.options = options;
    if (options.metricsPort !== undefined) checkPort(options.metricsPort, "--metrics-port");
    if (options.uiPort !== undefined) checkPort(options.uiPort, "--ui-port");
    const every = options.metricsIntervalMs;
    if (every !== undefined && !(Number.isFinite(every) && every > 0)) {
      throw new OptionError({ code: "BL_BAD_METRICS_INTERVAL", value: every, rule: "the metrics interval must be a positive number of milliseconds", fix: "pass metricsIntervalMs: 1000, say (how often instances report their metrics)" });
    }
    this.signal = options.signal;
    this.onEvent = options.onEvent ?? (() => {});
    this.progress = options.progress;
    this.operators = options.operators ?? defaultOperators();
    this.customOperators = options.operators !== undefined;
    this.restartStrategy = options.restartStrategy ?? { kind: "none" };
    this.batchSize = options.batchSize ?? 65536;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new OptionError({ code: "BL_BAD_BATCH_SIZE", value: options.batchSize, rule: "the batch size (rows per batch emitted by grouping steps) must be a positive integer", fix: "pass --batch-size=N (batchSize: N) with N >= 1, or leave it unset (default 65536)" });
    }
    this.stateBackend = checkStateBackend(options.stateBackend);
    checkStateDirWanted(options.stateDir, this.stateBackend);
    if (options.stateDir !== undefined) checkStateDir(options.stateDir);
    this.checkpoint = options.checkpoint;
    if (this.checkpoint && !(Number.isFinite(this.checkpoint.intervalMs) && this.checkpoint.intervalMs > 0)) {
      throw new OptionError({
        code: "BL_BAD_CHECKPOINT_INTERVAL",
        value: this.checkpoint.intervalMs,
        rule: "the checkpoint interval must be a positive number of milliseconds",
        fix: "pass --checkpoint-interval=MS, e.g. 1000, together with --checkpoint-dir=DIR",
      });
    }
    const tolerable = this.checkpoint?.tolerableFailures;
    if (tolerable !== undefined && !(Number.isInteger(tolerable) && tolerable >= 0)) {
      throw new OptionError({
        code: "BL_BAD_TOLERABLE_CHECKPOINT_FAILURES",
        value: tolerable,
        rule: "the number of tolerable checkpoint failures must be an integer of 0 or more",
        fix: `pass --tolerable-checkpoint-failures=N with N >= 0 (default ${DEFAULT_TOLERABLE_CHECKPOINT_FAILURES})`,
      });
    }
    this.parallelism = options.parallelism ?? os.availableParallelism();
    if (!Number.isInteger(this.parallelism) || this.parallelism < 1 || this.parallelism > KEY_GROUPS) {
      throw new OptionError({
        code: "BL_BAD_PARALLELISM",
        value: options.parallelism,
        rule: `parallelism must be an integer from 1 to ${KEY_GROUPS}`,
        fix: `pass --parallelism=N with 1 <= N <= ${KEY_GROUPS} (default: the number of cores)`,
      });
    }
  }

  /** Starts serving `live` as Prometheus metrics when the options ask for it. */
  private async serveMetrics(live: LiveMetrics): Promise<MetricsServer | null> {
    const { metricsPort, metricsHost, onMetricsServer, jobName } = this.options;
    if (metricsPort === undefined) return null;
    // prom-client loads only when metrics are served.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { prometheusRegistry } = require("../metrics/prometheus") as typeof import("../metrics/prometheus");
    const server = await serveMetrics(prometheusRegistry(live, jobName ?? "beamline"), metricsPort, metricsHost);
    onMetricsServer?.(server.url);
    return server;
  }

  /** Starts serving the run's web UI when the options ask for it. */
  private async serveUi(live: LiveMetrics, graph: PipelineGraph, p: Plan, parallelism: number): Promise<MetricsServer | null> {
    const { uiPort, metricsHost, onUiServer, jobName } = this.options;
    if (uiPort === undefined) return null;
    const cp = this.checkpoint;
    const options = { parallelism, batchSize: this.batchSize, restartStrategy: this.restartStrategy.kind, ...(cp ? { checkpointDir: cp.dir, checkpointIntervalMs: cp.intervalMs, resume: cp.resume ?? false } : {}) };
    const server = await serveUi(live, { pipeline: jobName ?? "beamline", graphSvg: planSvg(graph, p), graph: planData(graph, p), options }, uiPort, metricsHost);
    onUiServer?.(`${server.url}/`);
    return server;
  }

  /**
   * Runs a pipeline to completion, as instances of its plan (one in this thread, the others on worker
   * threads; see {@link runParallel}). When an instance fails retriably (a worker thread died), the run restarts under the restart
   * strategy: from the latest checkpoint it completed (or resumed from) when checkpointed, from the
   * beginning otherwise.
   */
  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const graph = pipeline.graph();
    const p = plan(graph, this.operators);
    const parallel = parallelismFor(pipeline, p, this.customOperators ? 1 : this.parallelism);
    const cp = this.checkpoint ? openCheckpoints(pipeline, this.checkpoint, this.onEvent) : null;
    const restartedFrom: (number | null)[] = [];
    const report = () => (cp ? { checkpoints: { restoredFrom: cp.restoredFrom, durationsMs: cp.coordinator.durations, sizesBytes: cp.coordinator.sizes, restartedFrom } } : {});
    const board = this.progress?.isTTY ? new ProgressBoard(parallel.parallelism) : null;
    const live = new LiveMetrics();
    live.stageOf = new Map(p.stages.flatMap((s) => s.nodes.map((n) => [n, s.id] as const)));
    if (cp) {
      const c = cp.coordinator;
      live.checkpoints = () => ({ completed: c.durations.length, failed: c.failed, durationsMs: c.durations, sizesBytes: c.sizes });
    }
    const server = await this.serveMetrics(live);
    const ui = await this.serveUi(live, graph, p, parallel.parallelism).catch(async (e: unknown) => {
      await server?.close();
      throw e;
    });
    // Instances report samples when someone watches: the metrics endpoint, the UI, or the progress line.
    const sampling = server || ui || board ? { sampleEveryMs: this.options.metricsIntervalMs ?? (server || ui ? 1000 : 250) } : {};
    const sources = p.nodes.filter((n) => n.transform.urn === READ_URN).map((n) => n.transform.uniqueName);
    const input = new InputProgress();
    // What the pipeline prints to stdout on the same terminal clears the line first.
    const line = board ? new ProgressLine(this.progress!, () => progressOf(board, cp, live, sources, input), 250, this.progress === process.stderr ? process.stdout : undefined).start() : null;
    try {
      for (let restarts = 0; ; restarts++) {
        try {
          if (cp) cp.coordinator.parallelism = parallel.parallelism;
          const restore = cp ? cp.latest() : null;
          if (restarts > 0 && cp) restartedFrom.push(restore?.id ?? null);
          const checkpoints = cp ? { checkpoints: { coordinator: cp.coordinator, intervalMs: cp.intervalMs, restore, failures: cp.failures } } : {};
          let stopped = false;
          const onStopped = () => (stopped = true);
          const metrics = await runParallel(pipeline, parallel.spec, graph, p, { parallelism: parallel.parallelism, batchSize: this.batchSize, stateBackend: this.stateBackend, ...(this.options.stateDir ? { stateDir: this.options.stateDir } : {}), signal: this.signal, stop: this.options.stop, onStopped, operators: this.operators, live, ...sampling, ...checkpoints, ...(board ? { progress: board } : {}) });
          live.state = "done";
          return { state: stopped ? "STOPPED" : "DONE", metrics: directRunMetrics(metrics, live), plan: p, parallelism: parallel.parallelism, restarts, ...report() };
        } catch (e) {
          live.failed(e);
          cp?.coordinator.abandon();
          const delay = isRestartable(e) ? restartDelay(this.restartStrategy, restarts + 1) : null;
          if (delay === null) {
            live.state = "failed";
            throw !isRestartable(e) || this.restartStrategy.kind === "none" ? e : restartsExhausted(e, restarts);
          }
          live.restarted();
          const from = cp ? (cp.coordinator.lastCompleted ?? cp.restoredFrom) : null;
          this.onEvent({ type: "restart", attempt: restarts + 1, attempts: "attempts" in this.restartStrategy ? this.restartStrategy.attempts : 0, delayMs: delay, from, checkpointed: cp !== null, cause: e });
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    } finally {
      cp?.release();
      line?.draw();
      line?.stop();
      await server?.close();
      await ui?.close();
    }
  }
}

/** The error of a run whose restarts ran out: the last failure is its cause, in its own words. */
function restartsExhausted(cause: unknown, restarts: number): BeamlineError {
  const domain = cause instanceof BeamlineError ? cause.domain : "internal";
  const message = failureInBrief(cause);
  return new BeamlineError({
    code: "BL_RESTARTS_EXHAUSTED",
    domain,
    value: restarts,
    rule: `the run failed again after ${restarts === 1 ? "its 1 restart" : `all ${restarts} restarts`} its restart strategy allows; the last failure: ${message}`,
    fix: "remove the cause of the failure, or allow more restarts with --restart-attempts=N",
    cause,
  });
}

/** The run's metrics: the merged counters, and the transforms' and user metrics `live` gathered. */
function directRunMetrics(merged: RunMetrics, live: LiveMetrics): DirectRunMetrics {
  const user = new MetricResults(live.user());
  return { rowsOut: merged.rowsOut, counters: merged.counters, watermarks: merged.watermarks, transforms: live.totals(), query: (filter) => user.query(filter) };
}

/** What the progress line shows: the board's rows and watermark, and the run's last completed checkpoint. */
function progressOf(board: ProgressBoard, cp: RunCheckpoints | null, live: LiveMetrics, sources: readonly string[], input: InputProgress): ProgressSnapshot {
  const { rows, watermark } = board.read();
  const c = cp?.coordinator;
  const last = c && c.lastCompleted !== null && c.durations.length > 0 ? { id: c.lastCompleted, durationMs: c.durations[c.durations.length - 1] } : undefined;
  // Per source: its records and slowest watermark over the instances that sampled it.
  const totals = live.totals();
  const marks = new Map<string, number>();
  for (const r of live.transforms()) if (r.watermark !== undefined && sources.includes(r.transform)) marks.set(r.transform, Math.min(marks.get(r.transform) ?? Infinity, r.watermark));
  const perSource = sources.map((name) => {
    const wm = marks.get(name);
    return { name, rows: totals.get(name)?.rowsOut ?? 0, ...(wm !== undefined && wm > MIN_TIMESTAMP ? { watermark: wm } : {}) };
  });
  const files = live.backlog().filter((b) => b.bytes !== undefined);
  const left = files.length > 0 ? files.reduce((n, b) => n + b.bytes!, 0) : undefined;
  const progress = input.at(Date.now(), left);
  return { rows, watermark, sources: perSource, ...(progress ? { input: progress } : {}), ...(last ? { checkpoint: last } : {}) };
}

/** The checkpoints of one run, across its restarts. */
interface RunCheckpoints {
  readonly coordinator: CheckpointCoordinator;
  readonly intervalMs: number;
  readonly failures: CheckpointFailurePolicy;
  /** The checkpoint the run resumed from, or null. */
  readonly restoredFrom: number | null;
  /** The checkpoint an attempt restores: the latest this run completed, else the one it resumed from. */
  latest(): LoadedCheckpoint | null;
  /** Gives up the directory's lock. */
  release(): void;
}

/**
 * Opens the checkpoint directory of a run and takes its lock: with `resume`, loads its latest
 * completed checkpoint (refusing one of another pipeline, and a directory that does not exist).
 */
function openCheckpoints(pipeline: Pipeline, options: CheckpointOptions, onEvent: RunEvents): RunCheckpoints {
  if (options.resume && !fs.existsSync(options.dir)) {
    throw new OptionError({
      code: "BL_RESUME_NO_CHECKPOINT_DIR",
      where: "--resume",
      value: options.dir,
      rule: "there is no such checkpoint directory to resume from",
      fix: "pass the --checkpoint-dir of the run to continue, or leave out --resume to start a new run",
    });
  }
  const store = new CheckpointStore(options.dir, { retained: options.retained });
  const used = fs.readdirSync(store.dir).length > 0;
  const lock = DirectoryLock.acquire(store.dir);
  try {
    return openLocked(pipeline, store, options, onEvent, used, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

function openLocked(pipeline: Pipeline, store: CheckpointStore, options: CheckpointOptions, onEvent: RunEvents, used: boolean, lock: DirectoryLock): RunCheckpoints {
  const fingerprint = pipeline.fingerprint();
  const latest = options.resume ? store.latest(fingerprint) : null;
  const file = pipelineOrigin(pipeline)?.definition.source?.file;
  const code = file && fs.existsSync(file) ? codeFiles(file) : null;
  if (latest && code) checkCode(latest, code, options.forceCodeChange === true, onEvent);
  const resumed = latest ? loadCheckpoint(store, latest) : null;
  if (options.resume && !resumed) {
    // Nothing was committed: sinks of a checkpointed run commit only when a checkpoint completes.
    const reason = used ? "the run that used the directory stopped before its first checkpoint completed (it committed nothing)" : "the directory is empty: no run has used it";
    onEvent({ type: "fresh-start", dir: store.dir, reason: `no completed checkpoint: ${reason}` });
  }
  const coordinator = new CheckpointCoordinator(store, fingerprint, 1, code ? { code } : {});
  const tolerable = options.tolerableFailures ?? DEFAULT_TOLERABLE_CHECKPOINT_FAILURES;
  return {
    coordinator,
    intervalMs: options.intervalMs,
    failures: {
      tolerable,
      onFailure: (id, cause, consecutive) => onEvent({ type: "checkpoint-failed", id, dir: store.dir, consecutive, tolerable, cause }),
    },
    restoredFrom: resumed?.id ?? null,
    latest: () => {
      const id = coordinator.lastCompleted;
      const done = id === null ? undefined : store.completed().find((c) => c.id === id);
      return done ? loadCheckpoint(store, done) : resumed;
    },
    release: () => lock.release(),
  };
}

/**
 * Refuses to resume from `latest` with other code than it was taken with, unless forced (then says
 * so). Checkpoints that recorded no code (taken before Beamline recorded it) are not compared.
 */
function checkCode(latest: CompletedCheckpoint, code: CodeFiles, force: boolean, onEvent: RunEvents): void {
  const taken = latest.manifest.extra.code as CodeFiles | undefined;
  if (!taken || typeof taken !== "object") return;
  const changed = changedFiles(taken, code);
  if (changed.length === 0) return;
  if (force) return onEvent({ type: "code-changed", dir: latest.dir, files: changed });
  throw new BeamlineError({
    code: "BL_CHECKPOINT_OTHER_CODE",
    where: latest.dir,
    value: changed,
    rule: "the pipeline's code changed since this checkpoint was taken; resuming would mix the results of the old code and the new in one output",
    fix: "resume with the code the checkpoint was taken with; or add --force-code-change to resume with the new code anyway (state and output of the old code stay); or pass a fresh --checkpoint-dir to start over",
  });
}

/**
 * The parallelism a pipeline can run at, up to `wanted`: 1 when the pipeline was not built from a
 * definition in a module file (workers could not rebuild it), or when a source drives a simulated
 * clock (TestStream: one clock, one thread).
 */
export function parallelismFor(pipeline: Pipeline, p: Plan, wanted: number): { parallelism: number; spec?: undefined } | { parallelism: number; spec: PipelineSpec } {
  if (wanted <= 1) return { parallelism: 1 };
  const simulated = p.nodes.some((n) => n.transform.urn === READ_URN && pipeline.fn<BoundedSource>(n.transform.uniqueName).simulatedClock === true);
  if (simulated) return { parallelism: 1 };
  const spec = pipelineSpec(pipeline);
  if ("reason" in spec) return { parallelism: 1 };
  return { parallelism: wanted, spec };
}
