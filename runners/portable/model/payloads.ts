/**
 * What Beamline's translator writes into a Runner API pipeline and its SDK harness reads back: the URNs
 * and JSON payloads of Beamline's DoFns and combine functions, the combine phases' URNs, and the timer
 * family Beamline adds for `onWindowExpiration`.
 */

/** URN of the DoFns Beamline's harness runs; the payload is a JSON {@link BeamlineDoFnPayload}. */
export const BEAMLINE_DOFN_URN = "beamline:dofn:v1";

/** What a Beamline DoFn does in the harness. */
export type BeamlineDoFnRole =
  /** Runs the ParDo of graph transform `transform`. */
  | "pardo"
  /** Splits the source of graph transform `transform` into {@link BeamlineDoFnPayload.parts} parts when its impulse arrives, and emits each part (JSON, as bytes). */
  | "splitRead"
  /** Reads each part it receives of the source of graph transform `transform`. */
  | "readPart"
  /** Keys each row with a shard index of the sink of `transform`, keeping its timestamp, window and pane beside it. */
  | "writeKey"
  /** Writes each shard's rows through the sink and emits what it staged. */
  | "writeShard"
  /** Emits, on the impulse, an empty staging entry, so the sink of `transform` commits even when no row came. */
  | "writeSeed"
  /** Writes each bundle's rows through the sink of `transform` (one that publishes what it prepares) and flushes them before the bundle ends. */
  | "writeBundle"
  /**
   * Numbers each shard's rows (keyed by shard) with a counter kept in the shard's state
   * ({@link SEQUENCE_STATE}), emitting each row with its number, for a `writeSequenced` DoFn.
   */
  | "writeNumber"
  /**
   * Writes numbered rows of a stable input (the runner hands them over once a checkpoint holds them, and
   * again in order after a failure) through the sink's sequenced writer, each row exactly once.
   */
  | "writeSequenced"
  /** Commits everything staged for the sink and emits the written files. */
  | "commit"
  /** Passes elements on unchanged (a redistribution point left to the runner). */
  | "identity"
  /** Parses the messages the runner's native read of `transform` delivers (their data, as bytes) into the source's rows and dead letters. */
  | "parseMessages"
  /** Encodes each row as the message the runner's native write of sink `transform` publishes. */
  | "encodeMessages";

/** The state cell (a value: the number of the shard's next row) of a `writeNumber` DoFn. */
export const SEQUENCE_STATE = "next";

/**
 * The state cell a `writeSequenced` DoFn declares and never reads: declaring it makes the runner key
 * the writer's input by shard and start a stage with the writer, apart from the numbering. A state
 * request in a stable-input bundle would never be answered on Beam's Flink runner, which holds its state
 * lock while it replays the input a checkpoint released.
 */
export const STABLE_WRITER_STATE = "unread";

/** The payload of a Beamline DoFn. */
export interface BeamlineDoFnPayload {
  readonly role: BeamlineDoFnRole;
  /** The graph transform whose runtime object it uses. */
  readonly transform: string;
  /** The pipeline's fingerprint, checked by remote harnesses against the pipeline they rebuild. */
  readonly fingerprint: string;
  /** splitRead: how many parts to ask the source for. */
  readonly parts?: number;
}

/** URN of Beamline's combine functions; the payload is a JSON {@link BeamlineCombineFnPayload}. */
export const BEAMLINE_COMBINE_FN_URN = "beamline:combine_fn:v1";

/** The payload of a Beamline combine function. */
export interface BeamlineCombineFnPayload {
  /** The combine composite whose runtime object (a CombineRuntime) it runs. */
  readonly transform: string;
  /** The pipeline's fingerprint, checked by remote harnesses against the pipeline they rebuild. */
  readonly fingerprint: string;
}

/** Beam's combine URNs: the composite and its phases. */
export const COMBINE_URNS = {
  perKey: "beam:transform:combine_per_key:v1",
  precombine: "beam:transform:combine_per_key_precombine:v1",
  merge: "beam:transform:combine_per_key_merge_accumulators:v1",
  extract: "beam:transform:combine_per_key_extract_outputs:v1",
  groupedValues: "beam:transform:combine_grouped_values:v1",
} as const;

/**
 * The event-time timer family Beamline adds to a DoFn with `onWindowExpiration`: set for each key and
 * window the DoFn sees, at the window's expiry (its end plus the allowed lateness), it calls
 * `onWindowExpiration` before the runner drops the window's state.
 */
export const WINDOW_EXPIRATION_TIMER = "__window_expiration";
