/**
 * Beamline: batch and streaming data pipelines in the Apache Beam model, over Apache Arrow record
 * batches, for TypeScript.
 */
export * from "./sdk";
export * from "./transforms";
export * from "./transforms/io";
export {
  afterAll, afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, alignedTo, defaultTrigger,
  describeTrigger, firesOnce, never, orFinally, plusDelayOf, repeatedly, subTriggers, usesProcessingTime, validateTrigger,
} from "./sdk/trigger";
export type { AfterWatermarkOptions, Duration, TimestampTransform, TriggerKind, TriggerSpec } from "./sdk/trigger";
export { DirectRunner } from "./runners/direct/runner";
export { defaultOperators } from "./runners/direct/operators/registry";
export type { DirectRunnerOptions, PipelineResult } from "./runners/direct/runner";
export { runPipeline } from "./runners/run";
export type { DirectRunOptions, PortableRunPipelineOptions, RunOptions } from "./runners/run";
export { RUNNER_NAMES } from "./sdk/runner";
export type { Runner, RunnerName, RunResult, RunMetricsSummary } from "./sdk/runner";
export type { DirectRunResult } from "./runners/direct-runner";
export type { PortableRunOptions, PortableRunResult } from "./runners/portable-runners";
