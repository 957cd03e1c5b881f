/**
 * Beamline: batch and streaming data pipelines in the Apache Beam model, over Apache Arrow record
 * batches, for TypeScript.
 */
export * from "./sdk";
export * from "./transforms";
export * from "./transforms/io";
export { DirectRunner, defaultOperators } from "./runners/direct/runner";
export type { DirectRunnerOptions, PipelineResult } from "./runners/direct/runner";
export { runPipeline } from "./runners/run";
export type { RunOptions } from "./runners/run";
