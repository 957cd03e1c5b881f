/** The direct runner: plans and executes a pipeline locally. */
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN } from "../../sdk/combine";
import { FLATTEN_URN, GROUP_BY_KEY_URN, RESHUFFLE_URN, WINDOW_INTO_URN } from "../../sdk/kv";
import { PARDO_URN } from "../../sdk/pardo";
import type { Pipeline } from "../../sdk/pipeline";
import { READ_URN } from "../../sdk/source";
import { WRITE_URN } from "../../sdk/sink";
import { execute, RunMetrics } from "./executor";
import type { OperatorFactory, OperatorRegistry } from "./operator";
import { combineOperator } from "./operators/combine";
import { gbkOperator } from "./operators/gbk";
import { readOperator, writeOperator } from "./operators/io";
import { pardoOperator } from "./operators/pardo";
import { flattenOperator, reshuffleOperator, windowIntoOperator } from "./operators/simple";
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
  ]);
}

/** Options of the direct runner. */
export interface DirectRunnerOptions {
  /** Target rows per batch emitted by grouping operators. Default 65536. */
  readonly batchSize?: number;
  /** Operators by URN; defaults to {@link defaultOperators}. */
  readonly operators?: OperatorRegistry;
}

/** The result of a run. */
export interface PipelineResult {
  readonly state: "DONE";
  readonly metrics: RunMetrics;
  readonly plan: Plan;
}

/** Runs pipelines locally. */
export class DirectRunner {
  private readonly operators: OperatorRegistry;
  private readonly batchSize: number;

  constructor(options: DirectRunnerOptions = {}) {
    this.operators = options.operators ?? defaultOperators();
    this.batchSize = options.batchSize ?? 65536;
  }

  /** Runs a pipeline to completion. */
  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const graph = pipeline.graph();
    const p = plan(graph, this.operators);
    const metrics = await execute(graph, p, this.operators, (name) => pipeline.fn(name), { batchSize: this.batchSize });
    return { state: "DONE", metrics, plan: p };
  }
}
