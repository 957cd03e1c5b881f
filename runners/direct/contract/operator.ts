/**
 * The operator contract of the direct runner, in one place. Only `processBatch` (process a batch) is
 * required; the other hooks — `onWatermark` (watermark), `onCheckpoint` (checkpoint), `onCommit`
 * (commit), `close` — and the rest default to doing nothing. An operator declares its state through
 * its context (`declareState`, see `declared-state.ts`) and the execution snapshots and restores it;
 * `snapshot` and `restore` remain for operators that shape their snapshots themselves. Operators emit
 * through their context and never touch other operators.
 */
import type { ElementBatch } from "../../../sdk/batch";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import type * as arrow from "apache-arrow";
import type { WindowingStrategy } from "../../../sdk/window";
import type { ReadContext } from "../../../sdk/source";
import type { OperatorState } from "./declared-state";

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
  /** Whether every consumer of a PCollection reads its string columns only as bytes (see `strings-as-bytes.ts`). */
  stringsReadAsBytes(pcollectionId: string): boolean;
  /** Runner options. */
  readonly options: DirectOptions;
  /** The operator's input watermark: the minimum over its inputs' watermarks (ms), or one input's by tag. */
  inputWatermark(tag?: string): number;
  /** The run's processing-time clock (ms); simulated, and advanced only by the source, under TestStream. */
  processingTime(): number;
  /**
   * Asks for `onProcessingTime` once the processing-time clock reaches `at`. Requests accumulate; each
   * is delivered once, in time order.
   */
  wakeAt(at: number): void;
  /** Adds `n` to a named counter of this transform (reported in the run's metrics). */
  count(name: string, n: number): void;
  /**
   * The operator's declared state: tables, item lists and common values the execution snapshots at
   * every barrier and restores before the operator opens. Declare while the operator is made.
   */
  declareState(): OperatorState;
}

/** Options the direct runner's operators see. */
export interface DirectOptions {
  /** Target rows per emitted batch. */
  readonly batchSize: number;
  /** In a parallel run: which instance of the plan this is, of how many (sources read their share of parts). */
  readonly instance?: { readonly index: number; readonly count: number };
  /** Whether the run takes checkpoints (sinks then commit only what completed checkpoints cover). */
  readonly checkpointed?: boolean;
  /** Where stateful operators keep keyed state and timers: in memory (default) or in LMDB files on disk. */
  readonly stateBackend?: StateBackendKind;
  /** Under which directory the disk backend makes each operator instance's files (default: the OS's temp directory). */
  readonly stateDir?: string;
  /**
   * In a checkpointed run: the path of a state file `name` an operator writes into checkpoint
   * `checkpointId` itself (its snapshot names the file; see `OperatorSnapshot.incremental`).
   */
  readonly checkpointFile?: (checkpointId: number, name: string) => string;
}

/** The state backends of the direct runner. */
export type StateBackendKind = "memory" | "disk";

/**
 * An operator's state at a checkpoint, shaped so that a checkpoint taken at one parallelism restores
 * at another: keyed state goes, by key group, to the instance that owns the group; items of non-keyed
 * state are spread over the instances, placed items go to the instance their slot names; the watermark restores as the minimum over the instances.
 * Everything in it must survive a structured clone (`v8.serialize`).
 */
export interface OperatorSnapshot {
  /** Keyed state, by key group (see `data/key-groups.ts`). */
  readonly keyed?: readonly (readonly [keyGroup: number, state: unknown])[];
  /** Non-keyed items (source parts, buffered rows, staged sink output). */
  readonly items?: readonly unknown[];
  /**
   * Items with a stable slot (source parts that must stay with one reader): a restore at any
   * parallelism gives an item to instance `slot % count`.
   */
  readonly placed?: readonly (readonly [slot: number, state: unknown])[];
  /** State every instance takes up whole (such as broadcast side inputs), from the first instance. */
  readonly common?: unknown;
  /** The operator's own input watermark when the snapshot was taken (ms). */
  readonly watermark?: number;
  /**
   * The operator had finished (all its inputs ended) when the barrier passed: it keeps no state (but
   * for output a sink staged). On every instance so: the restored operator is finished and runs no more.
   */
  readonly finished?: boolean;
  /**
   * Keyed state written incrementally (the disk backend): entries `[keyGroup, [entryId, value]]`, a
   * removed entry's value undefined, in `keyed` or in the checkpoint's state file `file` (see
   * `state/delta-file.ts`, `bytes` long). With a `base`, only the entries changed since completed
   * checkpoint `base`; without, every entry. A load rebuilds the whole state from the chain (see
   * `checkpoint/incremental.ts`): `of` names the checkpoint, `replay` the files to read in order (a
   * `reset` file starts from nothing), `keyGroups` the key groups the restoring instance owns.
   */
  readonly incremental?: {
    readonly base: number | null;
    readonly file?: string;
    readonly bytes?: number;
    readonly of?: number;
    readonly replay?: readonly { readonly file: string; readonly reset: boolean }[];
    readonly keyGroups?: readonly number[];
  };
}

/** One running transform. */
export interface Operator {
  /** Before any data. */
  open?(): Promise<void> | void;
  /** A batch on an input tag (`main`, `side:<name>`, or a flatten's numbered tags). */
  processBatch(tag: string, batch: ElementBatch): Promise<void> | void;
  /**
   * The input watermark advanced to `watermark` (ms; `MAX_TIMESTAMP` once every input has ended):
   * fire what is due (event-time timers, windows past their end). Also called, with an unchanged
   * minimum, when one of several inputs' watermarks moved (see `inputWatermark(tag)`).
   */
  onWatermark?(watermark: number): Promise<void> | void;
  /**
   * Every input that has not ended became idle (`true`: nothing comes for now, and their watermarks
   * hold nothing back), or one became active again (`false`), as Flink's watermark status. While
   * every input is idle the input watermark is the largest of theirs.
   */
  onIdle?(idle: boolean): void | Promise<void>;
  /** The processing-time clock reached `now`, at or after a time requested with `wakeAt`. */
  onProcessingTime?(now: number): Promise<void> | void;
  /**
   * The earliest event timestamp this operator may still emit, for pending state and timers; the
   * operator's output watermark is held at or below it. Absent or `MAX_TIMESTAMP`: no hold.
   */
  watermarkHold?(): number;
  /** An input tag reached the end of its data. */
  endOfInput?(tag: string): Promise<void> | void;
  /** Every input reached its end: emit what is buffered. */
  finish?(): Promise<void> | void;
  /**
   * Checkpoint `id`'s barrier reached this operator: every batch before it was processed, none after
   * it. Prepare for the snapshot; the execution snapshots the declared state right after.
   */
  onCheckpoint?(id: number): void | Promise<void>;
  /**
   * For an operator that shapes its snapshot itself instead of declaring state: called at checkpoint
   * `checkpointId`'s barrier after `onCheckpoint`, returns the state to restore from. Sinks prepare
   * what they wrote so far (to commit when the checkpoint completes).
   */
  snapshot?(checkpointId: number): OperatorSnapshot | Promise<OperatorSnapshot>;
  /**
   * With `snapshot`: before any data (after `open`), take up the state of a checkpoint — the snapshots
   * of every instance that ran this transform, resharded for this instance (its key groups, its share
   * of items). Declared state is restored by the execution before `open` instead.
   */
  restore?(state: OperatorSnapshot): void | Promise<void>;
  /** Checkpoint `id`, which this operator passed, is complete: commit (sinks publish what it staged). */
  onCommit?(id: number): void | Promise<void>;
  /** After success or failure: release resources. `failed` tells which. */
  close?(failed: boolean): Promise<void> | void;
}

/** Makes the operator of one transform. */
export type OperatorFactory = (ctx: OperatorContext) => Operator;

/** Operator factories by URN, passed to the runner explicitly (nothing registers itself on import). */
export type OperatorRegistry = ReadonlyMap<string, OperatorFactory>;

/** What the executor offers a source operator. */
export interface SourceDriver {
  /** The clock and cancellation, as sources see them. */
  readonly read: ReadContext;
  /** Runs `f` alone with the rest of the pipeline (emits go downstream), then moves watermarks. */
  step(f: () => void | Promise<void>): Promise<void>;
  /**
   * Sets the source's output watermark (inside a step), and, for a source whose outputs advance apart
   * (a TestStream with tagged outputs), the watermarks of named outputs above it.
   */
  setWatermark(watermark: number, outputs?: Readonly<Record<string, number>>): void;
  /**
   * Marks the source idle or active again (inside a step): an idle source has nothing to read for
   * now, and its watermark holds nothing back downstream until it is active again. Sources start active.
   */
  setIdle(idle: boolean): void;
  /**
   * The source delivered every event before processing time `to` (ms, on its own timeline): the
   * shared simulated clock moves once every such source got there, and fires what became due.
   */
  advanceProcessingTime(to: number): Promise<void>;
  /**
   * For a source that receives barriers: checkpoint `id`'s barrier arrived on every input it has (in
   * order after their data); resolves once the step that passes it on has run. `alignedMs`: how long
   * the inputs that delivered it first were held until the last did (counted as the source's alignment).
   */
  barrier(id: number, alignedMs?: number): Promise<void>;
}

/** A source operator: has no inputs; the executor calls `run` to produce its data. */
export interface SourceOperator extends Operator {
  run(driver: SourceDriver): Promise<void>;
  /** Whether the source drives a simulated processing-time clock. */
  readonly simulatedClock?: boolean;
  /**
   * Whether checkpoint barriers reach this source from upstream (an exchange-in, through
   * `SourceDriver.barrier`) instead of starting at it when the checkpoint is triggered.
   */
  readonly receivesBarriers?: boolean;
}

/**
 * An operator whose finish, in a checkpointed run, leaves output staged for the run's final checkpoint
 * to commit (a sink): once finished it still snapshots, restores, and hears of completed checkpoints.
 */
export interface CommitsAfterFinish extends Operator {
  readonly commitsAfterFinish: true;
}

/** An operator that forwards checkpoint barriers beyond this execution (an exchange-out, into its links). */
export interface BarrierForwarder extends Operator {
  /** Checkpoint `id`'s barrier passed this operator: send it after everything sent so far. */
  forwardBarrier(id: number): void;
}
