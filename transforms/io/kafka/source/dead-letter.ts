/**
 * Kafka's dead letters: a record that could not be decoded, where it was (topic, partition,
 * offset), its raw key and value bytes and the reason, as rows of the `deadLetter` output.
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../../../sdk/batch";
import { makeRecordBatch, vectorFromValues } from "../../../../sdk/columns";
import { schema, t } from "../../../../sdk/schema";
import type { SourceChunk } from "../../../../sdk/source";

/** A record that could not be decoded. */
export interface KafkaDeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's key bytes (null when it has none). */
  readonly key: Uint8Array | null;
  /** The record's value bytes (null for a tombstone). */
  readonly raw: Uint8Array | null;
  /** Why it could not be decoded. */
  readonly error: string;
}

/** The schema of Kafka dead letters: `{topic, partition, offset, key, raw, error}`. */
export const kafkaDeadLetterSchema = schema({ topic: t.string(), partition: t.int32(), offset: t.int64(), key: t.binary(), raw: t.binary(), error: t.string() });

/** A chunk of dead letters for the `deadLetter` output. */
export function kafkaDeadLetterChunk(letters: readonly KafkaDeadLetter[]): SourceChunk {
  const s = kafkaDeadLetterSchema.arrow;
  const names = ["topic", "partition", "offset", "key", "raw", "error"] as const;
  const cols = names.map((name, i) => vectorFromValues(letters.map((d) => d[name]), s.fields[i].type, "Kafka dead letters").data[0] as arrow.Data);
  return { tag: "deadLetter", batch: globalBatch(makeRecordBatch(s, cols, letters.length)) };
}
