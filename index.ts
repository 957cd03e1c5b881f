/**
 * Beamline: batch and streaming data pipelines in the Apache Beam model, over Apache Arrow record
 * batches, for TypeScript.
 *
 * This file is the public API: what users import from `beamline`, listed one by one. Everything
 * else (the graph, payloads, invokers, column kernels, the runners' layers) is internal and may change.
 */

// Pipelines, PCollections and transforms
export { Pipeline } from "./sdk/pipeline";
export { PCollection } from "./sdk/pcollection";
export { PTransform, transform, type ExpandContext, type PBegin, type PValue, type TransformFn, type TransformLike } from "./sdk/transform";
export { definePipeline, buildPipeline, type PipelineDefinition } from "./sdk/definition";
export { option, type OptionSpec, type OptionSpecs, type OptionValues } from "./sdk/options";

// Rows and schemas
export { schema, t, inferSchema, scalarSchema, describeSchema, type FieldType, type RowOf, type RowSchema } from "./sdk/schema";
export { recordBatchToRows, rowsToRecordBatch } from "./sdk/rows";
export type { KV, Grouped } from "./sdk/kv";
export { GLOBAL_WINDOWS, type ElementBatch, type PaneColumn, type PaneInfo, type PaneTiming, type WindowColumn } from "./sdk/batch";
export { MAX_TIMESTAMP, MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP, formatTimestamp } from "./sdk/time";

// Element-wise transforms and DoFns
export {
  map, flatMap, filter, mapBatches, parDo, parDoWithOutputs, ElementwiseTransform, DeadLetteredTransform,
  type ElementInfo, type ElementwiseOptions, type ParDoOptions, type SingleParDoOptions, type WithDeadLetterOptions,
} from "./sdk/pardo";
export type { DeadLetterLimits, FailureOptions } from "./sdk/element-failures";
export { isRetriable, type RetryPolicy } from "./sdk/retry";
export {
  sideInput, type DoFn, type FinishBundleContext, type KeyOf, type OutputOptions, type ProcessContext, type ProcessContextOf,
  type SetupContext, type SideInputView, type StatefulProcessContext, type TimerContext, type WindowExpirationContext,
} from "./sdk/dofn";

// State and timers
export {
  state, timer, type BagState, type BagStateSpec, type CombiningState, type CombiningStateSpec, type MapState, type MapStateSpec,
  type OrderedListState, type OrderedListStateSpec, type SetState, type SetStateSpec, type StateSpec, type StateSpecs, type TimeDomain,
  type Timer, type Timers, type TimerSetOptions, type TimerSpec, type TimerSpecs, type TimestampedValue, type ValueState, type ValueStateSpec,
} from "./sdk/state";

// Grouping, combining, joining
export type { CombineFn } from "./sdk/combine";
export { groupBy, groupByKey, combinePerKey, combineGlobally, countPerElement, type GroupBy } from "./transforms/group";
export { count, sum, mean, min, max, aggregateWith, type Aggregation } from "./transforms/combiners";
export { approxCountDistinct, type ApproxCountDistinctOptions } from "./transforms/approximate";
export { top, type TopOptions } from "./transforms/top";
export { coGroupByKey, join, innerJoin, leftJoin, fullOuterJoin, type CoGrouped, type CoGroupByKeyOptions, type JoinOptions, type JoinType } from "./transforms/join";
export { partition, type PartitionFn } from "./transforms/partition";
export { col, lit, when, select, where, withColumn, type Expr, type ExprInput, type SelectItem, type When } from "./transforms/expressions";

// Windowing and triggers
export {
  fixedWindows, slidingWindows, sessions, globalWindows, customWindows, GLOBAL_WINDOW,
  type CustomAssign, type CustomWindowFn, type Window, type WindowFnSpec, type WindowingStrategy,
} from "./sdk/window";
export { windowInto, withTimestamps, flatten, reshuffle, separateLateData, type LateDataOutputs, type WindowIntoOptions } from "./transforms/windowing";
export { withWindowFields, type WindowFieldNames } from "./transforms/window-fields";
export {
  afterAll, afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, alignedTo, defaultTrigger, never, orFinally, plusDelayOf, repeatedly,
  type AfterWatermarkOptions, type Duration, type TimestampTransform, type TriggerKind, type TriggerSpec,
} from "./sdk/trigger";

// Sources and sinks
export { create, createColumns, fromArrow } from "./transforms/create";
export { generateSequence, periodicImpulse, type GenerateSequenceOptions, type PeriodicImpulseOptions } from "./transforms/sources";
export type { BoundedSource, PartPosition, ReadContext, Source, SourceChunk } from "./sdk/source";
export { readNexmark, type NexmarkStreams } from "./transforms/nexmark/source";
export type { NexmarkOptions } from "./transforms/nexmark/config";
export type { Person as NexmarkPerson } from "./transforms/nexmark/person";
export type { Auction as NexmarkAuction } from "./transforms/nexmark/auction";
export type { Bid as NexmarkBid } from "./transforms/nexmark/bid";
export type { Committable, Committer, Sink, SinkRecovery, SinkWriter, WriterContext } from "./sdk/sink";
export { writeTo, type WriteToOptions } from "./transforms/io/write-to";
export type { WrittenWithDeadLetters } from "./transforms/io/common";
export { readText, writeText, type ReadTextOptions, type WriteTextOptions } from "./transforms/io/text";
export { readCsv, writeCsv, type ReadCsvOptions, type WriteCsvOptions } from "./transforms/io/csv";
export { readJsonLines, writeJsonLines, type ReadJsonLinesOptions, type WriteJsonLinesOptions } from "./transforms/io/jsonl";
export { readPubSub, type ReadPubSubOptions } from "./transforms/io/pubsub/read-pubsub";
export { writePubSub, type WritePubSubOptions } from "./transforms/io/pubsub/write-pubsub";
export { readArrow, writeArrow, type ReadArrowOptions, type WriteArrowOptions } from "./transforms/io/arrow";
export { readParquet, writeParquet, type ParquetCompression, type ReadParquetOptions, type WriteParquetOptions } from "./transforms/io/parquet";
export { deadLetterSchema, type DeadLetter, type WithDeadLetters } from "./sdk/dead-letter";
export type { Compression } from "./transforms/io/files/compression";
export { readKafka, type KafkaRow, type ReadKafkaOptions, type KafkaFormat, type KafkaStartOffset, type KafkaEventTime, type KafkaRecordView } from "./transforms/io/kafka/source";
export { writeKafka, type WriteKafkaResult } from "./transforms/io/kafka/write-kafka";
export type { KafkaSinkSemantics, WriteKafkaOptions } from "./transforms/io/kafka/sink/options";

// Testing
export {
  testStream, taggedTestStream, timestamped, type TaggedOutputs, type TaggedTestStream, type TestStream, type TestStreamEvent,
} from "./transforms/testing/teststream";
export { thatSingleton, thatMap, thatMultimap, type SingletonAssert } from "./transforms/testing/singleton-assert";
export {
  assertThat, intervalWindow, AssertionFailedError, type AssertionFailure, type AssertWindow, type PCollectionAssert, type PaneSelection,
} from "./transforms/testing/assert";
export { collect, type Collected, type CollectedElement } from "./transforms/testing/collect";

// Metrics
export { metrics, DEFAULT_METRICS_NAMESPACE, MetricResults, type Counter, type Distribution, type DistributionData, type Gauge, type GaugeData, type MetricsFilter, type MetricResult, type MetricQueryResults, type UserMetricValue } from "./sdk/metrics";

// Errors
export {
  BeamlineError, IOError, OptionError, PipelineConstructionError, SchemaError, TransientError, UnsupportedFeatureError, UserCodeError,
  type BeamlineErrorInit, type ErrorDomain,
} from "./sdk/errors";

// Runners
export { RUNNER_NAMES, type Runner, type RunnerName, type RunResult, type RunMetricsSummary } from "./sdk/runner";
export { runPipeline, type DirectRunOptions, type PortableRunPipelineOptions, type DataflowRunPipelineOptions, type RunOptions } from "./runners/run";
export { DirectRunner, type CheckpointReport, type DirectRunMetrics, type DirectRunnerOptions, type PipelineResult } from "./runners/direct/runner";
export type { TransformTotals } from "./runners/metrics/live";
/** Runs a pipeline file without faults and under a seed's faults (crashes resumed), and throws unless the outputs match. */
export { expectSameOutputUnderFaults, type OutputPlace, type SameOutputOptions, type SameOutputReport } from "./runners/testing/same-output-under-faults";
export type { DirectRunResult } from "./runners/direct-runner";
export type { PortableRunOptions, PortableRunResult } from "./runners/portable-runners";
export type { DataflowRunnerOptions, DataflowRunResult } from "./runners/dataflow/runner";
export type { DataflowRunOptions } from "./runners/dataflow/options";
export type { DataflowJobMessage } from "./runners/dataflow/jobs-api";
