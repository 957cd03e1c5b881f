/**
 * Rows a sink cannot write, as dead letters: the one way every sink (files, Kafka) routes them. A
 * writer finds the rows of a batch it cannot write, and, when the write has a dead-letter output,
 * emits their dead letters at once (from `write`, before the barrier that covers the batch) and writes
 * the rest; without one it fails the run naming the first such row.
 */
import { windowAt, type ElementBatch } from "../../sdk/batch";
import { elementDeadLetter, type DeadLetter } from "../../sdk/dead-letter";
import type { IOError } from "../../sdk/errors";
import { keepRows } from "../../sdk/keep-rows";
import type { WriterContext } from "../../sdk/sink";
import { rowJson } from "./json-rows";

/** Where a sink writer sends the rows it cannot write: the write transform's name and its dead-letter output. */
export interface RejectedRows {
  /** The unique name of the write transform, which the dead letters carry. */
  readonly transform: string;
  /** Takes the dead letters of rows of the batch being written. */
  readonly emit: (letters: readonly DeadLetter[]) => void;
}

/** Where a sink wrote, or would have written, a row: its file, or its topic. */
export type SinkTarget = { readonly file: string } | { readonly topic: string };

/** A row of a batch a sink cannot write, and why. */
export interface RejectedRow {
  /** Its index in the batch. */
  readonly row: number;
  /** Why it cannot be written (its message names the rule and the row). */
  readonly error: IOError;
  /** The offending raw bytes, when the row's problem is in bytes (a string that is not UTF-8). */
  readonly raw?: Uint8Array;
}

/**
 * The dead-letter output of a sink writer: set when the write asked for one (`asked`) and the runner
 * gave it one (`context.deadLetter`); undefined otherwise, and the writer then fails on such rows.
 */
export function rejectedRowsOf(context: WriterContext, asked: boolean, defaultName: string): RejectedRows | undefined {
  return asked && context.deadLetter ? { transform: context.transform ?? defaultName, emit: context.deadLetter } : undefined;
}

/** The dead letter of row `row` of `batch`, which the sink could not write to `target`: the row as JSON, with its time and window. */
export function rowDeadLetter(rejected: RejectedRows, batch: ElementBatch, rejectedRow: RejectedRow, target: SinkTarget, json = rowJson(batch.data)): DeadLetter {
  const i = rejectedRow.row;
  const letter = elementDeadLetter(rejected.transform, null, rejectedRow.error, 1, batch.timestamps[i], windowAt(batch.windows, i));
  return { ...letter, element: json(i), raw: rejectedRow.raw ?? null, ...target };
}

/**
 * The rows of `batch` a sink can write: those not in `rows` (found in row order). Emits the dead
 * letters of `rows` now when `rejected` is given, or throws the first row's error when it is not;
 * returns null when no row is left to write.
 */
export function withoutRejectedRows(batch: ElementBatch, rows: readonly RejectedRow[], rejected: RejectedRows | undefined, target: SinkTarget): ElementBatch | null {
  if (rows.length === 0) return batch;
  if (!rejected) throw rows[0].error;
  const json = rowJson(batch.data);
  rejected.emit(rows.map((r) => rowDeadLetter(rejected, batch, r, target, json)));
  const n = batch.data.numRows;
  const keep = new Uint8Array(n).fill(1);
  let kept = n;
  for (const r of rows) if (keep[r.row] === 1) (keep[r.row] = 0), kept--;
  return keepRows(batch, keep, kept);
}
