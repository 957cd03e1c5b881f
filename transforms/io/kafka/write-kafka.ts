/** `writeKafka`: a PCollection's rows as records of a Kafka topic, exactly-once or at-least-once. */
import type { PCollection } from "../../../sdk/pcollection";
import { PTransform, type ExpandContext } from "../../../sdk/transform";
import { declareWriteWithDeadLetter, type WrittenWithDeadLetters } from "../common";
import type { KafkaSink as KafkaSinkClass } from "./sink/kafka-sink";
import { checkWriteKafkaOptions, type KafkaSinkSettings, type WriteKafkaOptions } from "./sink/options";

/** What `writeKafka` with `deadLetter: true` gives: the (empty) list of published files, and the rows it could not write. */
export type WriteKafkaResult = WrittenWithDeadLetters;

class WriteKafka<T> extends PTransform<PCollection<T>, PCollection<{ file: string }> | WriteKafkaResult> {
  private readonly settings: KafkaSinkSettings;

  constructor(options: WriteKafkaOptions) {
    super(`WriteKafka(${options?.topic})`);
    this.settings = checkWriteKafkaOptions(options);
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> | WriteKafkaResult {
    const s = this.settings;
    const headers = typeof s.headers === "object" ? JSON.stringify(s.headers) : s.headers;
    const out = declareWriteWithDeadLetter(ctx, input, {
      sink: "kafka", topic: s.topic, semantics: s.semantics, transactionalIdPrefix: s.transactionalIdPrefix, shards: s.shards,
      ...(s.key !== undefined ? { key: s.key } : {}), ...(s.value !== undefined ? { value: s.value } : {}),
      ...(headers !== undefined ? { headers } : {}), timestamp: s.timestamp,
    }, new (kafkaSinkClass())(s), s.deadLetter);
    return s.deadLetter ? out : out.written;
  }
}

/**
 * Writes rows to a Kafka topic. `exactly-once` follows Flink's KafkaSink: a transaction per writer and
 * checkpoint, flushed at the barrier and committed by producer id and epoch when the checkpoint
 * completes, because that is Beamline's two-phase sink contract as it is (Beam's KafkaExactlyOnceSink
 * would need a stable-input shuffle and per-record sequence ids kept in state). Records are read
 * `read_committed` once their checkpoint completes; `at-least-once` sends with an idempotent producer.
 * Records are sent when a writer's buffer is half full, at a barrier, or, at-least-once, once they
 * waited `lingerMs` (default 5 ms, as the Kafka producer's `linger.ms`). On portable runners (Prism,
 * Flink) an unbounded input needs `at-least-once` (each bundle's records are flushed before the bundle
 * ends); exactly-once of an unbounded input is refused there before submission.
 * With `deadLetter: true` it returns `{ written, deadLetter }`: rows it cannot write go to `deadLetter`
 * as they are written, before the barrier that covers them, so a restored run neither repeats nor
 * loses them; without it such a row fails the run.
 */
export function writeKafka<T>(options: WriteKafkaOptions & { readonly deadLetter: true }): PTransform<PCollection<T>, WriteKafkaResult>;
/** Writes rows to a Kafka topic (see above); returns the (empty) list of published files. */
export function writeKafka<T>(options: WriteKafkaOptions & { readonly deadLetter?: false }): PTransform<PCollection<T>, PCollection<{ file: string }>>;
/** Writes rows to a Kafka topic (see above), with a dead-letter output when `deadLetter` is true. */
export function writeKafka<T>(options: WriteKafkaOptions): PTransform<PCollection<T>, PCollection<{ file: string }> | WriteKafkaResult>;
export function writeKafka<T>(options: WriteKafkaOptions): PTransform<PCollection<T>, PCollection<{ file: string }> | WriteKafkaResult> {
  return new WriteKafka<T>(options);
}

/** The Kafka sink class, loaded when a write is built: importing Beamline does not load kafkajs. */
function kafkaSinkClass(): typeof KafkaSinkClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("./sink/kafka-sink") as typeof import("./sink/kafka-sink")).KafkaSink;
}
