/**
 * Exactly-once writes of a stable input, as Beam's `KafkaExactlyOnceSink` does them: the runner hands
 * the writer only input a completed checkpoint holds, and hands it again, in the same order, after a
 * failure (Flink's `requires_stable_input`); each shard numbers its rows (a counter the runner keeps in
 * the shard's state, restored with the input it numbered), and each transaction commits its records
 * together with the number after its last row, stored as the offset the consumer group
 * `<prefix>-seq-<shard>` committed for partition 0 of the topic. A replayed row whose number is below
 * that offset was written already and is skipped. The shard's one transactional id
 * (`<prefix>-seq-<shard>`) is claimed when the writer opens, which fences an earlier writer of the
 * shard and aborts what it left open, so the offset read after the claim is final.
 */
import type { ElementBatch } from "../../../../sdk/batch";
import { IOError } from "../../../../sdk/errors";
import type { IdleConnection } from "./connection-pool";
import type { KafkaSinkSettings } from "./options";
import { ClusterProducer } from "./producer";
import { RecordEncoder } from "./records";
import { topicLayout } from "./topic-layout";
import { kafkaFailure, withRetries } from "./failures";

/** The transactional id and the consumer group of shard `shard`'s sequenced writer. */
export function sequencedId(prefix: string, shard: number): string {
  return `${prefix}-seq-${shard}`;
}

/** Writer `shard` of a sequenced (stable-input) Kafka sink. */
export class SequencedShardWriter {
  private producer: ClusterProducer | null = null;
  private encoder: RecordEncoder | null = null;
  /** The number of the first row not yet written (what the shard's group committed). */
  private written = 0;
  private readonly id: string;
  private readonly where: string;

  constructor(private readonly settings: KafkaSinkSettings, private readonly connection: IdleConnection, readonly shard: number) {
    this.id = sequencedId(settings.transactionalIdPrefix, shard);
    this.where = `writeKafka to ${settings.topic}, shard ${shard}`;
  }

  /** The number of the first row the topic does not hold yet (after the writer opened). */
  get next(): number {
    return this.written;
  }

  /**
   * Writes the rows of `batch`, numbered from `first`, that the topic does not hold yet, in one
   * transaction that also commits the number after the last; returns how many rows it wrote.
   */
  async write(batch: ElementBatch, first: number): Promise<number> {
    const n = batch.data.numRows;
    const { producer, encoder } = await this.open();
    if (first + n <= this.written) return 0;
    if (first > this.written) {
      throw new IOError({
        code: "BL_KAFKA_SEQUENCE_GAP",
        domain: "internal",
        where: this.where,
        value: { first, written: this.written },
        rule: `rows numbered from ${first} came while the topic holds rows up to ${this.written} only: rows in between were never written`,
        fix: "report this: the runner did not replay its stable input in order",
      });
    }
    const records = encoder.encode(batch).slice(this.written - first);
    const topic = this.settings.topic;
    try {
      await this.connection.use(async () => {
        producer.begin();
        try {
          await producer.send(topic, records);
          await withRetries(() => producer.sendOffset(this.id, topic, 0, first + n));
          await withRetries(() => producer.commit());
        } catch (e) {
          await producer.abort().catch(() => {});
          throw e;
        }
      });
    } catch (e) {
      // The claim is redone by the next write: what the failed transaction did is unknown until then.
      this.producer = null;
      throw kafkaFailure(e, this.where, `writing rows ${this.written} to ${first + n - 1} in transaction ${this.id}`);
    }
    this.written = first + n;
    return records.length;
  }

  /** Claims the shard's transactional id and reads the number the topic's rows reached (once, and again after a failure). */
  private async open(): Promise<{ producer: ClusterProducer; encoder: RecordEncoder }> {
    if (this.producer && this.encoder) return { producer: this.producer, encoder: this.encoder };
    const { topic, transactionTimeoutMs } = this.settings;
    return this.connection.use(async (cluster) => {
      try {
        const layout = (this.encoder ??= new RecordEncoder(this.settings, await topicLayout(cluster, topic, this.where), this.where, this.shard));
        const producer = new ClusterProducer(this.connection.kafka, cluster, { transactionalId: this.id, transactionTimeoutMs });
        await withRetries(() => producer.init());
        this.written = await withRetries(async () => {
          const coordinator = await cluster.findGroupCoordinator({ groupId: this.id });
          const r = (await (coordinator.offsetFetch as (o: object) => Promise<{ responses: { partitions: { partition: number; offset: string }[] }[] }>)({
            groupId: this.id,
            topics: [{ topic, partitions: [{ partition: 0 }] }],
          }));
          const offset = Number(r.responses[0]?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
          return offset < 0 ? 0 : offset;
        });
        this.producer = producer;
        return { producer, encoder: layout };
      } catch (e) {
        throw kafkaFailure(e, this.where, `claiming transactional id ${this.id} and reading what it wrote`);
      }
    });
  }
}
