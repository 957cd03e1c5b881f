/**
 * The operator contract of the direct runner. Only `processBatch` is required; watermark, finish and
 * close hooks have defaults. Operators emit through their context and never touch other operators.
 */
import type { ElementBatch } from "../../sdk/batch";
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";
import type * as arrow from "apache-arrow";
import type { WindowingStrategy } from "../../sdk/window";

/** What an operator may do and know. */
export interface OperatorContext {
  /** The transform this operator executes. */
  readonly transform: GraphTransform;
  /** The whole graph. */
  readonly graph: PipelineGraph;
  /** Emits a batch to an output tag. */
  emit(tag: string, batch: ElementBatch): void;
  /** The runtime object registered for the transform. */
  fn<T>(): T;
  /** The declared schema of an input or output PCollection (null when inferred at run time). */
  schemaOf(pcollectionId: string): arrow.Schema | null;
  /** The windowing strategy of a PCollection. */
  windowingOf(pcollectionId: string): WindowingStrategy;
  /** Runner options. */
  readonly options: DirectOptions;
}

/** Options the direct runner's operators see. */
export interface DirectOptions {
  /** Target rows per emitted batch. */
  readonly batchSize: number;
}

/** One running transform. */
export interface Operator {
  /** Before any data. */
  open?(): Promise<void> | void;
  /** A batch on an input tag (`main`, `side:<name>`, or a flatten's numbered tags). */
  processBatch(tag: string, batch: ElementBatch): Promise<void> | void;
  /** An input tag reached the end of its data. */
  endOfInput?(tag: string): Promise<void> | void;
  /** Every input reached its end: emit what is buffered. */
  finish?(): Promise<void> | void;
  /** After success or failure: release resources. `failed` tells which. */
  close?(failed: boolean): Promise<void> | void;
}

/** Makes the operator of one transform. */
export type OperatorFactory = (ctx: OperatorContext) => Operator;

/** Operator factories by URN, passed to the runner explicitly (nothing registers itself on import). */
export type OperatorRegistry = ReadonlyMap<string, OperatorFactory>;
