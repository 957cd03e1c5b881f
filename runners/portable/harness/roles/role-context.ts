/**
 * What the operator of a Beamline DoFn's role needs of the bundle processor that runs it (a
 * {@link RoleContext}), the transform it runs (a {@link RoleStep}) and what it gives back (a
 * {@link RoleOperator}): the files beside this one build every role's operator from these alone.
 */
import type * as arrow from "apache-arrow";
import type { PipelineGraph } from "../../../../sdk/graph";
import type { ParDoInvoker } from "../../../../sdk/invoker";
import type { MetricsCell } from "../../../../sdk/metrics";
import type { SequencedWriter } from "../../../../sdk/sink";
import type { StateSpecs } from "../../../../sdk/state";
import type { Coder } from "../../coders/coders";
import type { BeamlineDoFnPayload } from "../../model/payloads";
import type { Elements } from "../elements/elements";

/** What a role's operator uses of the bundle processor: the pipeline, the descriptor, the runner's channels and what lives across bundles. */
export interface RoleContext {
  /** The pipeline's graph. */
  readonly graph: PipelineGraph;
  /** The runtime object (source, sink, DoFn) of graph transform `transform`. */
  fn<T>(transform: string): T;
  /** The process bundle descriptor: its PCollections, coders, windowing strategies and endpoints. */
  readonly descriptor: any;
  /** The coder of one of the descriptor's coder ids. */
  coder(id: string): Coder;
  /** The Arrow schema of graph PCollection `pc` (null when the graph has none of that name). */
  schemaOf(pc: string): arrow.Schema | null;
  /** Hands elements of the descriptor's PCollection `pc` to the operators that consume it. */
  emit(pc: string, b: Elements): Promise<void> | void;
  /** The runner's channels: side inputs are read through its state channel. */
  readonly channels: { state(url: string): { readAll(instructionId: string, stateKey: Record<string, unknown>): Promise<Buffer> } };
  /** The instruction (bundle) being processed. */
  instructionId(): string;
  /** User state of the descriptor's transform `transformId` (named `transform` in errors) through the runner's state endpoint, with the bags earlier bundles left current. */
  userState(transformId: string, transform: string, specs: StateSpecs): UserState;
  /** The user metrics container of graph transform `transform` in the current bundle. */
  metricsOf(transform: string): MetricsCell;
  /** The DoFns set up by the processor, by descriptor transform: set up once, torn down with the processor. */
  readonly setups: Map<string, ParDoInvoker>;
  /** The sequenced writers of each writeSequenced operator, by shard. */
  readonly sequencedWriters: Map<string, Map<number, SequencedWriter>>;
}

/** A transform's user state in one bundle: cells per key and window, loaded on first use. */
export interface UserState {
  /** Makes sure the cells of (key, window) are read; `id` identifies the pair. */
  load(id: string, window: Buffer, key: Buffer): Promise<void>;
  /** The cell handles of a loaded (key, window). */
  cells(id: string): Record<string, unknown>;
  /** Writes every changed cell back and forgets the bundle's cache. */
  flush(): Promise<void>;
}

/** The descriptor's transform a role's operator runs. */
export interface RoleStep {
  /** Its id in the descriptor. */
  readonly id: string;
  /** Its name, and its input and output PCollections by tag. */
  readonly t: { readonly uniqueName: string; readonly inputs: Record<string, string>; readonly outputs: Record<string, string> };
  /** The Beamline DoFn's payload: its role and graph transform. */
  readonly payload: BeamlineDoFnPayload;
  /** The tags of its side inputs. */
  readonly sideTags: string[];
}

/** What a role's operator does with a bundle. */
export interface RoleOperator {
  /** Once per bundle, before data. */
  start?(): Promise<void> | void;
  /** Elements on an input PCollection. */
  process(input: string, b: Elements): Promise<void> | void;
  /** Once per bundle, after all input. */
  finish?(): Promise<void> | void;
}
