/**
 * The sink contract, two-phase: writers stage their output, and the sink commits all staged output
 * at once when the run (or, with checkpoints, the checkpoint) completes — or aborts it on failure,
 * so a failed run leaves nothing half-written where the output belongs.
 */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, type ElementBatch } from "./batch";
import { makeRecordBatch } from "./columns";
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
  /**
   * The bytes a writer appends for a batch, when the format allows: a runner may then encode batches
   * where they are produced (on other threads) and hand the writer {@link encodedBatch}es, which its
   * writers must take as well. Undefined when batches cannot be encoded apart from the writer.
   */
  readonly encode?: (batch: arrow.RecordBatch) => Uint8Array;
}

/** Schema metadata of an encoded batch: how many rows its bytes stand for. */
const ENCODED_ROWS = "beamline.encodedRows";
const ENCODED_FIELD = new arrow.Field("encoded", new arrow.Binary(), false);

/** A batch carrying the bytes a sink's `encode` gave for `rows` rows: one binary value. */
export function encodedBatch(bytes: Uint8Array, rows: number): ElementBatch {
  const schema = new arrow.Schema([ENCODED_FIELD], new Map([[ENCODED_ROWS, String(rows)]]));
  const data = arrow.makeData({ type: ENCODED_FIELD.type as arrow.Binary, length: 1, nullCount: 0, valueOffsets: Int32Array.from([0, bytes.length]), data: bytes });
  return { data: makeRecordBatch(schema, [data], 1), timestamps: new Float64Array(1), windows: GLOBAL_WINDOWS };
}

/** The bytes of an {@link encodedBatch}, or null for any other batch. */
export function encodedBytes(batch: ElementBatch): Uint8Array | null {
  if (!batch.data.schema.metadata.has(ENCODED_ROWS)) return null;
  const d = batch.data.data.children[0];
  const offsets = d.valueOffsets as Int32Array;
  return (d.values as Uint8Array).subarray(offsets[0], offsets[1]);
}

/** The rows a batch stands for: its own, or those its encoded bytes stand for. */
export function rowsOf(batch: ElementBatch): number {
  const encoded = batch.data.schema.metadata.get(ENCODED_ROWS);
  return encoded === undefined ? batch.data.numRows : Number(encoded);
}

/** URN of Beamline's write primitive. */
export const WRITE_URN = "beamline:transform:write:v1";

/** The payload of a {@link WRITE_URN} transform: what is written; the sink itself is the runtime object. */
export interface WritePayload {
  /** The kind of in-process sink (`memory`, `assertion`), if it is one. */
  readonly sink?: string;
  /** The file format, for a file sink. */
  readonly format?: string;
  /** The sink's own parameters (prefix, suffix, shards, …). */
  readonly [extra: string]: JsonValue | undefined;
}
