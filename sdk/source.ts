/**
 * The source contract. A source splits into parts (JSON descriptors, so a runner can hand them to
 * threads or remote workers) and reads each part from a position, reporting positions as it goes so
 * a checkpoint can resume exactly there.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "./batch";
import type { JsonValue } from "./graph";

/**
 * One chunk a source yields: data, a watermark, or both. A bounded part that yields no watermark
 * keeps its watermark at the minimum until it ends; every part's watermark is the maximum once it ends.
 */
export interface SourceChunk {
  /** The output tag: the main output when absent, or for example `deadLetter`. */
  readonly tag?: string;
  /** Rows with their timestamps and windows. */
  readonly batch?: ElementBatch;
  /** The position after this chunk, from which a later read resumes. */
  readonly position?: JsonValue;
  /**
   * The part's watermark after this chunk (ms): no later chunk of the part holds an element with an
   * earlier timestamp, except late data. Watermarks never move back.
   */
  readonly watermark?: number;
  /**
   * Watermarks of single outputs, by tag, for a source whose outputs advance apart (a TestStream
   * with tagged outputs): each output's watermark is the greater of `watermark` and its entry here.
   */
  readonly watermarks?: Readonly<Record<string, number>>;
  /** The part has nothing to read for now; an idle part does not hold the watermark back. */
  readonly idle?: boolean;
  /**
   * Advance the run's simulated processing-time clock to this time (ms) once everything before this
   * chunk is processed. Only sources that declare `simulatedClock` may yield it (TestStream).
   */
  readonly processingTime?: number;
}

/** What a runner offers a reading source. */
export interface ReadContext {
  /** The run's processing-time clock (ms). */
  processingTime(): number;
  /** Waits `ms` of processing time; resolves early, with `false`, when the run is cancelled. */
  sleep(ms: number): Promise<boolean>;
  /** Whether the run is being cancelled; an unbounded source stops reading when it is. */
  readonly cancelled: boolean;
  /**
   * Reports what is left to read of one partition (a Kafka partition's lag, a file's remaining bytes);
   * the runner exposes the latest report per partition as the source's backlog. Absent on runners
   * that do not collect it.
   */
  reportBacklog?(partition: string, backlog: { readonly records?: number; readonly bytes?: number }): void;
  /**
   * When (processing time, ms) the part last delivered data, for a read that resumes a part an earlier
   * call read (a portable runner reads a part bundle by bundle): a source's idle timeout counts from
   * there rather than from this call's start. Absent for a part's first read.
   */
  readonly lastDataAt?: number;
}

/** A source: bounded (it ends) or unbounded (it reports watermarks and may run forever). */
export interface BoundedSource {
  /** Whether the source ends. Absent means bounded. */
  readonly boundedness?: "bounded" | "unbounded";
  /** The source drives the run's simulated processing-time clock (TestStream), which such sources share. */
  readonly simulatedClock?: boolean;
  /** Splits into independent parts (a runner may read them in parallel). */
  split(desiredParts: number): Promise<JsonValue[]>;
  /** Reads one part, from a position (null for the start). */
  read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk>;
  /**
   * A part's stable slot, for sources whose parts must each be read by one instance wherever the run
   * restores (Kafka partitions): a runner reads a part on instance `slot % count` of `count` — at the
   * start, after a restore at any parallelism, and for parts `discover` finds later. A non-negative
   * integer, the same on every run. Absent: parts are spread by their index in `split`, and a restore
   * at another parallelism deals them out round-robin.
   */
  slotOf?(part: JsonValue): number;
  /**
   * Every part that exists now, for an unbounded source whose parts grow (new partitions or topics),
   * each with the position a newly found one is read from: a runner calls it every
   * `discoveryIntervalMs` and reads the parts it did not know (compared by their JSON) that `slotOf`
   * gives its instance. Used only with `slotOf`.
   */
  discover?(): Promise<PartPosition[]>;
  /** How often (ms) a runner calls `discover`. Default 10000. */
  readonly discoveryIntervalMs?: number;
  /**
   * A checkpoint completed: the parts one instance reads and their positions in that checkpoint, to
   * publish progress outside (consumer group offsets) or acknowledge what the checkpoint holds the
   * effects of (Pub/Sub acks). Informational: a restore reads positions from the checkpoint, never
   * from what this published. A failure is reported and the run goes on. A run without checkpoints
   * calls it once, with the final positions, when it succeeded.
   */
  checkpointCompleted?(positions: readonly PartPosition[]): Promise<void>;
}

/** A part and its position, as a checkpoint holds them. */
export interface PartPosition {
  /** The part's descriptor. */
  readonly part: JsonValue;
  /** The position after the last chunk delivered (null: nothing read yet). */
  readonly position: JsonValue | null;
}

/** The source contract; `BoundedSource` is its historical name. */
export type Source = BoundedSource;

/** URN of Beamline's read primitive. */
export const READ_URN = "beamline:transform:read:v1";

/** The payload of a {@link READ_URN} transform: what is read, for runners and messages; the source itself is the runtime object. */
export interface ReadPayload {
  /** The kind of in-process source (`memory`, `sequence`, `periodic_impulse`, `test_stream`), if it is one. */
  readonly source?: string;
  /** The file format (`text`, `csv`, `jsonl`, `arrow`, `parquet`), for a file source. */
  readonly format?: string;
  /** Whether unreadable records go to a `deadLetter` output. */
  readonly deadLetter?: boolean;
  /** The source's own parameters (patterns, options, a TestStream's events). */
  readonly [extra: string]: JsonValue | undefined;
}

/** The schema a source declares for its output, if any. */
export type SourceSchema = arrow.Schema | null;
