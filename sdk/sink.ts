/**
 * The sink contract, two-phase: writers stage their output, and the sink commits all staged output
 * at once when the run (or, with checkpoints, the checkpoint) completes — or aborts it on failure,
 * so a failed run leaves nothing half-written where the output belongs.
 */
import type { ElementBatch } from "./batch";
import type { JsonValue } from "./graph";

/** Writes one shard's share of the data into a staging area. */
export interface SinkWriter {
  /** Writes a batch. */
  write(batch: ElementBatch): void | Promise<void>;
  /** Finishes staging; returns what `commit` needs to publish it. */
  close(): Promise<JsonValue>;
  /** Throws away what was staged. */
  abort(): Promise<void>;
}

/** A transactional sink. */
export interface Sink {
  /**
   * Opens a writer for shard `index` of `count`. `epoch` counts the sets of shards a run opens (0,
   * or absent, for the first): with checkpoints, each checkpoint commits an epoch of its own, and a
   * sink must give every epoch's output names of its own.
   */
  open(shard: { index: number; count: number; epoch?: number }): Promise<SinkWriter>;
  /** Publishes everything staged; returns the names of what was published (for example file paths). */
  commit(staged: JsonValue[]): Promise<string[]>;
  /** Removes everything staged. */
  abort(staged: JsonValue[]): Promise<void>;
  /** How many shards to write; the runner decides when undefined. */
  readonly numShards?: number;
}

/** URN of Beamline's write primitive. */
export const WRITE_URN = "beamline:transform:write:v1";
