/** `writeKafka`: a PCollection's rows as records of a Kafka topic, exactly-once or at-least-once. */
import type { PCollection } from "../../../sdk/pcollection";
import { PTransform, type ExpandContext } from "../../../sdk/transform";
import { declareWrite } from "../common";
import { KafkaSink } from "./sink/kafka-sink";
import { checkWriteKafkaOptions, type KafkaSinkSettings, type WriteKafkaOptions } from "./sink/options";

class WriteKafka<T> extends PTransform<PCollection<T>, PCollection<{ file: string }>> {
  private readonly settings: KafkaSinkSettings;

  constructor(options: WriteKafkaOptions) {
    super(`WriteKafka(${options?.topic})`);
    this.settings = checkWriteKafkaOptions(options);
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> {
    const s = this.settings;
    const headers = typeof s.headers === "object" ? JSON.stringify(s.headers) : s.headers;
    return declareWrite(ctx, input, {
      sink: "kafka", topic: s.topic, semantics: s.semantics, transactionalIdPrefix: s.transactionalIdPrefix, shards: s.shards,
      ...(s.key !== undefined ? { key: s.key } : {}), ...(s.value !== undefined ? { value: s.value } : {}),
      ...(headers !== undefined ? { headers } : {}), timestamp: s.timestamp,
    }, new KafkaSink(s));
  }
}

/**
 * Writes rows to a Kafka topic. `exactly-once` follows Flink's KafkaSink: a transaction per writer and
 * checkpoint, flushed at the barrier and committed by producer id and epoch when the checkpoint
 * completes, because that is Beamline's two-phase sink contract as it is (Beam's KafkaExactlyOnceSink
 * would need a stable-input shuffle and per-record sequence ids kept in state). Records are read
 * `read_committed` once their checkpoint completes; `at-least-once` sends with an idempotent producer.
 */
export function writeKafka<T>(options: WriteKafkaOptions): PTransform<PCollection<T>, PCollection<{ file: string }>> {
  return new WriteKafka<T>(options);
}
