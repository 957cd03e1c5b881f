/**
 * Kafka's dead letters: records that could not be decoded become rows of the one dead-letter schema
 * (`sdk/dead-letter.ts`) with their topic, partition and offset, the raw value bytes and the reason.
 */
import { globalBatch } from "../../../../sdk/batch";
import { DEAD_LETTER_TAG, deadLetterSchema, recordDeadLetter } from "../../../../sdk/dead-letter";
import { rowsToRecordBatch } from "../../../../sdk/rows";
import type { SourceChunk } from "../../../../sdk/source";

/** A record that could not be decoded. */
export interface BadKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's value bytes (null for a tombstone). */
  readonly raw: Uint8Array | null;
  /** Why it could not be decoded. */
  readonly error: string;
}

/** A chunk of dead letters for the `deadLetter` output of transform `transform`. */
export function kafkaDeadLetterChunk(transform: string, records: readonly BadKafkaRecord[]): SourceChunk {
  const letters = records.map((r) => recordDeadLetter(transform, { topic: r.topic, partition: r.partition, offset: r.offset }, r.raw ?? new Uint8Array(0), "IOError", r.error));
  return { tag: DEAD_LETTER_TAG, batch: globalBatch(rowsToRecordBatch(letters, deadLetterSchema.arrow, `dead letters of transform "${transform}"`)) };
}
