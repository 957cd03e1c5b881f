/**
 * A Kafka sink writer: rows become records (see records.ts) sent as they come, in requests bounded by
 * the topic's `max.message.bytes`. Exactly-once, each checkpoint interval's records go into one
 * transaction under the transactional id `<prefix>-<shard>-<n>`; the barrier flushes it and hands its
 * producer id and epoch to the committer, and the next records go under `n + 1`. Ids are used in
 * order, without gaps, each for one transaction, so recovery can fence what a killed attempt left open
 * by claiming ids from the restored one until it finds one never used. At-least-once, an idempotent
 * producer sends, and the barrier waits until everything sent is acknowledged. Records are sent when
 * the buffer is half full, at a barrier, or, at-least-once, once the oldest of them waited `lingerMs`
 * (the writer's own timer, as the Kafka producer's `linger.ms`), one send at a time. Exactly-once
 * records do not linger: a transaction opens on the broker only when its records are sent, so it
 * stays open from the barrier (or a full buffer) to the commit, not the whole checkpoint interval.
 */
import type { ElementBatch } from "../../../../sdk/batch";
import type { SinkWriter } from "../../../../sdk/sink";
import type { IdleConnection } from "./connection-pool";
import type { KafkaSinkSettings } from "./options";
import { ClusterProducer } from "./producer";
import type { RejectedRows } from "../../rejected-rows";
import { BATCH_OVERHEAD, RecordEncoder, type KafkaRecord } from "./records";
import { topicLayout } from "./topic-layout";
import { kafkaFailure, withRetries } from "./failures";
import { abortFrom, transactionalId, type KafkaCommittable } from "./transactions";

/** The most a buffered send holds, below any topic's limit: requests stay well under the broker's socket limits. */
const MAX_SEND_BYTES = 1 << 20;

/** Writer `shard` of a Kafka sink. */
export class KafkaWriter implements SinkWriter<KafkaCommittable> {
  /** The number of the transactional id this writer uses next. */
  private n = 1;
  /** Whether a restore told the writer where its ids continue (and fenced what came after). */
  private resumed = false;
  private producer: ClusterProducer | null = null;
  private encoder: RecordEncoder | null = null;
  private sendLimit = MAX_SEND_BYTES;
  private buffer: KafkaRecord[] = [];
  private bufferBytes = 0;
  /** The claim of the next transaction's producer, under way since the last barrier. */
  private claiming: Promise<ClusterProducer> | null = null;
  /** The last send started or chained after the one in flight (sends go one at a time), if any. */
  private sending: Promise<void> | null = null;
  /** How many sends are in flight or chained. */
  private inFlight = 0;
  /** The first send that failed: the next `write` throws it (a barrier's flush does anyway). */
  private failure: { readonly error: unknown } | null = null;
  /** Sends the buffer once its oldest record waited `lingerMs`. */
  private lingerTimer: NodeJS.Timeout | null = null;
  /** The buffer lingered while a send was in flight: it goes as soon as that send is acknowledged. */
  private lingered = false;
  /** Records sent in the open transaction (exactly-once) or since the last barrier. */
  private records = 0;
  private readonly where: string;

  /** With `rejected`, rows the writer cannot write go there from `write` (see `WriterContext.deadLetter`). */
  constructor(private readonly settings: KafkaSinkSettings, private readonly connection: IdleConnection, private readonly shard: number,
    private readonly rejected?: RejectedRows) {
    this.where = `writeKafka to ${settings.topic}, shard ${shard}`;
  }

  private get transactional(): boolean {
    return this.settings.semantics === "exactly-once";
  }

  /** After a restore: ids continue at `n` (ids from `n` on were fenced by recovery). */
  resumeAt(n: number): void {
    this.n = n;
    this.resumed = true;
  }

  async write(batch: ElementBatch): Promise<void> {
    if (batch.data.numRows === 0) return;
    if (this.failure) throw this.failure.error;
    const encoder = this.encoder ?? (await this.open());
    const records = encoder.encode(batch);
    await this.begin();
    for (const r of records) {
      const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 24;
      if (this.bufferBytes + size > this.sendLimit && this.buffer.length > 0) await this.flush(false);
      this.buffer.push(r);
      this.bufferBytes += size;
    }
    if (this.bufferBytes >= this.sendLimit / 2) await this.flush(false);
    this.linger();
  }

  async prepareCommit(): Promise<KafkaCommittable[]> {
    this.stopLinger();
    await this.flush();
    if (!this.transactional) {
      this.records = 0;
      return [];
    }
    if (this.records === 0 || !this.producer) return [{ shard: this.shard, next: this.n, records: 0, transactionalId: null, producerId: null, epoch: null }];
    const c: KafkaCommittable = {
      shard: this.shard,
      next: this.n + 1,
      records: this.records,
      transactionalId: transactionalId(this.settings.transactionalIdPrefix, this.shard, this.n),
      producerId: this.producer.producerId,
      epoch: this.producer.epoch,
    };
    this.n++;
    this.producer = null;
    this.records = 0;
    // The next transaction's id is claimed now, while the checkpoint completes, not when the next row comes.
    const claiming = this.claim();
    claiming.catch(() => {}); // awaited by the next write; marked handled meanwhile
    this.claiming = claiming;
    return [c];
  }

  async abort(): Promise<void> {
    this.stopLinger();
    this.buffer = [];
    this.bufferBytes = 0;
    await this.settle().catch(() => {});
    this.failure = null;
    this.claiming = null; // a claimed id without a transaction on the broker: nothing to abort
    this.records = 0;
    const producer = this.producer;
    if (!producer || !this.transactional) return;
    this.producer = null;
    await this.connection.use(() => withRetries(() => producer.abort())).catch((e) => {
      throw kafkaFailure(e, this.where, `aborting transaction ${transactionalId(this.settings.transactionalIdPrefix, this.shard, this.n)}`);
    });
  }

  /** Reads the topic's layout (once). */
  private async open(): Promise<RecordEncoder> {
    const layout = await this.connection.use((cluster) => topicLayout(cluster, this.settings.topic, this.where));
    this.sendLimit = Math.max(1, Math.min(MAX_SEND_BYTES, Math.floor((layout.maxMessageBytes - BATCH_OVERHEAD) * 0.9)));
    return (this.encoder = new RecordEncoder(this.settings, layout, this.where, this.shard, this.rejected));
  }

  /** Makes the claimed producer the open one (claiming it now if no claim is under way). */
  private async begin(): Promise<void> {
    if (this.producer) return;
    const claiming = this.claiming ?? this.claim();
    this.claiming = null;
    this.producer = await claiming;
  }

  /** Claims the producer of id number `n` (and, exactly-once, begins its transaction on the client). */
  private async claim(): Promise<ClusterProducer> {
    const { transactionalIdPrefix: prefix, transactionTimeoutMs } = this.settings;
    const n = this.n;
    const id = this.transactional ? transactionalId(prefix, this.shard, n) : undefined;
    const probe = this.transactional && !this.resumed;
    this.resumed = true;
    return this.connection.use(async (cluster) => {
      const producer = new ClusterProducer(this.connection.kafka, cluster, { transactionalId: id, transactionTimeoutMs });
      try {
        await withRetries(() => producer.init());
        // A run that did not restore fences what an earlier run under this prefix may have left open after this id.
        if (probe) await abortFrom(cluster, prefix, this.shard, n + 1, transactionTimeoutMs);
      } catch (e) {
        throw kafkaFailure(e, this.where, id ? `claiming transactional id ${id}` : "claiming an idempotent producer id");
      }
      if (this.transactional) producer.begin();
      return producer;
    });
  }

  /**
   * Sends what is buffered. With `wait` (a barrier) it returns once everything sent is acknowledged;
   * without (a full buffer) once the send before is acknowledged and this one started (one send is in
   * flight while the next records are encoded), and a failure surfaces at the next call.
   */
  private async flush(wait = true): Promise<void> {
    if (wait) {
      this.enqueue();
      return this.settle();
    }
    const previous = this.sending;
    if (previous) await previous;
    this.enqueue();
  }

  /** Waits until every send started or chained is acknowledged; throws the first that failed (also when an earlier call saw it). */
  private async settle(): Promise<void> {
    while (this.sending) {
      const s = this.sending;
      this.sending = null;
      await s;
    }
    if (this.failure) throw this.failure.error;
  }

  /** Arms the linger timer while records are buffered, at-least-once (once: it runs from the write that buffered the oldest). */
  private linger(): void {
    if (this.transactional || this.lingerTimer || this.buffer.length === 0) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.inFlight > 0) this.lingered = true;
      else this.enqueue();
    }, this.settings.lingerMs);
    this.lingerTimer.unref(); // what it would send, a barrier or the end of the run sends
  }

  private stopLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.lingered = false;
  }

  /**
   * Starts sending the buffered records once the sends before them are acknowledged (so one send is in
   * flight at a time, in order); returns at once. A lingered buffer goes as soon as the last send is acknowledged.
   */
  private enqueue(): void {
    this.lingered = false;
    if (this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    const producer = this.producer!;
    const send = () =>
      this.connection.use(() => producer.send(this.settings.topic, records)).then(
        () => {
          this.records += records.length;
        },
        (e: unknown) => {
          throw kafkaFailure(e, this.where, `sending ${records.length} records to ${this.settings.topic}`);
        },
      );
    this.inFlight++;
    const sent = (this.sending ?? Promise.resolve()).then(send).then(
      () => {
        if (--this.inFlight === 0 && this.lingered && !this.failure) this.enqueue();
      },
      (e: unknown) => {
        this.inFlight--;
        this.failure ??= { error: e };
        throw e;
      },
    );
    sent.catch(() => {}); // awaited by the next flush or abort; marked handled meanwhile
    this.sending = sent;
  }
}
