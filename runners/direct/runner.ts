/** The direct runner: plans and executes a pipeline locally. */
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN } from "../../sdk/combine";
import { FLATTEN_URN, GROUP_BY_KEY_URN, RESHUFFLE_URN, SEPARATE_LATE_URN, WINDOW_INTO_URN } from "../../sdk/kv";
import { PARDO_URN } from "../../sdk/pardo";
import type { Pipeline } from "../../sdk/pipeline";
import * as os from "node:os";
import { OptionError } from "../../sdk/errors";
import { READ_URN } from "../../sdk/source";
import type { BoundedSource } from "../../sdk/source";
import { pipelineSpec, PipelineSpec } from "./threads/bootstrap";
import { runParallel } from "./threads/coordinator";
import { KEY_GROUPS } from "./threads/key-groups";
import { isRestartable, restartDelay, RestartStrategy } from "./threads/restart";
import { WRITE_URN } from "../../sdk/sink";
import { execute, InstanceCheckpoints, RunMetrics } from "./executor";
import { CheckpointCoordinator, CheckpointOptions, loadLatestCheckpoint } from "./checkpoint/coordinator";
import { reshard } from "./checkpoint/reshard";
import { CheckpointStore } from "./checkpoint/store";
import type { OperatorFactory, OperatorRegistry } from "./operator";
import { combineOperator } from "./operators/combine";
import { gbkOperator } from "./operators/gbk";
import { readOperator, writeOperator } from "./operators/io";
import { pardoOperator } from "./operators/pardo";
import { flattenOperator, reshuffleOperator, separateLateOperator, windowIntoOperator } from "./operators/simple";
import { plan, Plan } from "./planner";

/** The operators the direct runner ships with, by URN. */
export function defaultOperators(): Map<string, OperatorFactory> {
  return new Map<string, OperatorFactory>([
    [READ_URN, readOperator],
    [WRITE_URN, writeOperator],
    [PARDO_URN, pardoOperator],
    [GROUP_BY_KEY_URN, gbkOperator],
    [COMBINE_PER_KEY_URN, combineOperator],
    [COMBINE_GLOBALLY_URN, combineOperator],
    [FLATTEN_URN, flattenOperator],
    [WINDOW_INTO_URN, windowIntoOperator],
    [RESHUFFLE_URN, reshuffleOperator],
    [SEPARATE_LATE_URN, separateLateOperator],
  ]);
}

/** Options of the direct runner. */
export interface DirectRunnerOptions {
  /** Target rows per batch emitted by grouping operators. Default 65536. */
  readonly batchSize?: number;
  /** Operators by URN; defaults to {@link defaultOperators}. */
  readonly operators?: OperatorRegistry;
  /**
   * Worker threads running instances of the plan. Default: the number of cores. Runs on one thread
   * (in this one) when 1, or when the pipeline cannot reach workers (see {@link parallelismFor}).
   */
  readonly parallelism?: number;
  /** How a parallel run restarts when a worker thread dies. Default: no restart. */
  readonly restartStrategy?: RestartStrategy;
  /** Cancels a run on one thread (an unbounded pipeline runs until cancelled): the run rejects with BL_CANCELLED. */
  readonly signal?: AbortSignal;
  /** Aligned checkpoints into a directory, and resuming from the latest one. Default: none. */
  readonly checkpoint?: CheckpointOptions;
}

/** What a checkpointed run did with checkpoints. */
export interface CheckpointReport {
  /** The checkpoint the run resumed from, or null. */
  readonly restoredFrom: number | null;
  /** How long each checkpoint the run completed took, from trigger to manifest (ms). */
  readonly durationsMs: readonly number[];
}

/** The result of a run. */
export interface PipelineResult {
  readonly state: "DONE";
  readonly metrics: RunMetrics;
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
  private readonly parallelism: number;
  private readonly customOperators: boolean;
  private readonly restartStrategy: RestartStrategy;
  private readonly checkpoint?: CheckpointOptions;
  private readonly signal: AbortSignal | undefined;

  constructor(options: DirectRunnerOptions = {}) {
    this.signal = options.signal;
    this.operators = options.operators ?? defaultOperators();
    this.customOperators = options.operators !== undefined;
    this.restartStrategy = options.restartStrategy ?? { kind: "none" };
    this.batchSize = options.batchSize ?? 65536;
    this.checkpoint = options.checkpoint;
    if (this.checkpoint && !(Number.isFinite(this.checkpoint.intervalMs) && this.checkpoint.intervalMs > 0)) {
      throw new OptionError({
        code: "BL_BAD_CHECKPOINT_INTERVAL",
        value: this.checkpoint.intervalMs,
        rule: "the checkpoint interval must be a positive number of milliseconds",
        fix: "pass --checkpoint-interval=MS, e.g. 1000, together with --checkpoint-dir=DIR",
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

  /** Runs a pipeline to completion. */
  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const graph = pipeline.graph();
    const p = plan(graph, this.operators);
    // Checkpointed runs take their checkpoints in one thread (aligned barriers across worker threads are not built yet).
    const parallel = parallelismFor(pipeline, p, this.customOperators || this.checkpoint ? 1 : this.parallelism);
    if (parallel.spec) {
      for (let restarts = 0; ; restarts++) {
        try {
          const metrics = await runParallel(pipeline, parallel.spec, graph, p, { parallelism: parallel.parallelism, batchSize: this.batchSize });
          return { state: "DONE", metrics, plan: p, parallelism: parallel.parallelism, restarts };
        } catch (e) {
          const delay = isRestartable(e) ? restartDelay(this.restartStrategy, restarts + 1) : null;
          if (delay === null) throw e;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    const cp = this.checkpoint ? singleThreadCheckpoints(pipeline, this.checkpoint) : null;
    const hooks = { signal: this.signal, ...(cp ? { checkpoints: cp.hooks } : {}) };
    const metrics = await execute(graph, p, this.operators, (name) => pipeline.fn(name), { batchSize: this.batchSize }, hooks);
    return { state: "DONE", metrics, plan: p, parallelism: 1, restarts: 0, ...(cp ? { checkpoints: cp.report } : {}) };
  }
}

/**
 * Checkpoints of a run in the calling thread alone: every transform's state is restored whole
 * (whatever parallelism took the checkpoint), and each checkpoint is complete once this thread wrote it.
 */
function singleThreadCheckpoints(pipeline: Pipeline, options: CheckpointOptions): { hooks: InstanceCheckpoints; report: CheckpointReport } {
  const store = new CheckpointStore(options.dir, { retained: options.retained });
  const fingerprint = pipeline.fingerprint();
  const loaded = options.resume ? loadLatestCheckpoint(store, fingerprint) : null;
  const coordinator = new CheckpointCoordinator(store, fingerprint, 1);
  const restored = new Map([...(loaded?.snapshots ?? [])].map(([name, snaps]) => [name, reshard(snaps, { ownsKeyGroup: () => true, index: 0, count: 1 })]));
  const hooks: InstanceCheckpoints = {
    restored,
    intervalMs: options.intervalMs,
    persist: async (snapshots) => {
      const id = coordinator.begin();
      coordinator.writeInstance(id, 0, snapshots);
      coordinator.complete(id);
      return id;
    },
  };
  return { hooks, report: { restoredFrom: loaded?.id ?? null, durationsMs: coordinator.durations } };
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
