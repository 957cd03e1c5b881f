/**
 * A producer on a shared kafkajs cluster: kafkajs's own idempotent or transactional state (its
 * `eosManager`: producer id, epoch, sequence numbers, partitions added to the transaction) and its
 * Produce request, made below kafkajs's public API so that many transactional ids share one connection
 * and the producer id and epoch of a transaction can be recorded. Records are grouped by partition
 * here, in one pass (kafkajs's own grouping copies a partition's list for every record it adds), and
 * each partition's record batch is encoded here into one buffer (kafkajs builds an encoder per record).
 * kafkajs is pinned at 2.2.4, so this surface is fixed.
 */
import type { Kafka } from "kafkajs";
import type { KafkaBroker, KafkaCluster } from "../client/connection";
import { IOError } from "../../../../sdk/errors";
import { encodeRecordBatch } from "./record-batch";
import type { KafkaRecord } from "./records";
import { retriable, withRetries } from "./failures";

/* eslint-disable @typescript-eslint/no-require-imports */
const createEosManager = require("kafkajs/src/producer/eosManager") as (o: object) => EosManager;
const { staleMetadata } = require("kafkajs/src/protocol/error") as { staleMetadata: (e: unknown) => boolean };
const Encoder = require("kafkajs/src/protocol/encoder") as new () => KafkaEncoder;
const { Produce: PRODUCE_KEY } = require("kafkajs/src/protocol/requests/apiKeys") as { Produce: number };
const { requests: { Produce: produceRequests } } = require("kafkajs/src/protocol/requests") as { requests: { Produce: unknown } };
/* eslint-enable @typescript-eslint/no-require-imports */

interface KafkaEncoder {
  writeString(s: string | null): KafkaEncoder;
  writeInt16(v: number): KafkaEncoder;
  writeInt32(v: number): KafkaEncoder;
  writeBuffer(b: Buffer): KafkaEncoder;
}

/** How long the broker may wait for replicas before answering a Produce request. */
const PRODUCE_TIMEOUT_MS = 30000;

interface EosManager {
  initProducerId(): Promise<void>;
  isTransactional(): boolean;
  getTransactionalId(): string;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  addPartitionsToTransaction(topicData: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
  acquireBrokerLock(broker: KafkaBroker): Promise<void>;
  releaseBrokerLock(broker: KafkaBroker): void;
  beginTransaction(): void;
  getProducerId(): string | number;
  getProducerEpoch(): number;
  abort(): Promise<void>;
  commit(): Promise<void>;
  sendOffsets(o: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  isInTransaction(): boolean;
}

/** A producer of one transactional id (or an idempotent one without), on `cluster`. */
export class ClusterProducer {
  private readonly eos: EosManager;

  constructor(kafka: Kafka, private readonly cluster: KafkaCluster, options: { transactionalId?: string; transactionTimeoutMs: number }) {
    const logger = kafka.logger().namespace("Producer");
    this.eos = createEosManager({ logger, cluster, transactionTimeout: options.transactionTimeoutMs, transactional: options.transactionalId !== undefined, transactionalId: options.transactionalId });
  }

  /** Claims the producer id (InitProducerId): a transactional id's earlier producer is fenced and its open transaction aborted. */
  async init(): Promise<void> {
    await this.eos.initProducerId();
  }

  /** Begins a transaction (on the client; the broker learns of it with the first partition added). */
  begin(): void {
    this.eos.beginTransaction();
  }

  /** The producer id, as a decimal string. */
  get producerId(): string {
    return String(this.eos.getProducerId());
  }

  /** The producer epoch. */
  get epoch(): number {
    return this.eos.getProducerEpoch();
  }

  /**
   * Sends records to `topic` (their partitions chosen) and waits until every replica in sync has them
   * (acks=all). Each partition's records go in one request to its leader; a failed request is retried
   * with the same sequence numbers (the broker drops what it already has), partitions already written
   * are not sent again.
   */
  async send(topic: string, records: readonly KafkaRecord[]): Promise<void> {
    const pending = new Map<number, KafkaRecord[]>();
    for (const r of records) {
      const list = pending.get(r.partition);
      if (list) list.push(r);
      else pending.set(r.partition, [r]);
    }
    const { cluster, eos } = this;
    await withRetries(async () => {
      try {
        await cluster.addTargetTopic(topic);
        const leaders = cluster.findLeaderForPartitions(topic, [...pending.keys()]);
        // Every leader's request settles before a failure is retried: a request still in flight when another
        // failed has taken its sequence numbers, and sending its records again would write them twice.
        const sent = await Promise.allSettled(Object.entries(leaders).map(async ([nodeId, partitions]) => {
          const broker = await cluster.findBroker({ nodeId });
          const topicData = [{ topic, partitions: partitions.map((partition) => ({ partition, firstSequence: 0, messages: pending.get(partition)! })) }];
          await eos.acquireBrokerLock(broker);
          try {
            if (eos.isTransactional()) await eos.addPartitionsToTransaction(topicData);
            for (const entry of topicData[0].partitions) {
              entry.firstSequence = eos.getSequence(topic, entry.partition);
              eos.updateSequence(topic, entry.partition, entry.messages.length);
            }
            try {
              await this.produce(broker, topic, topicData[0].partitions);
            } catch (e) {
              for (const entry of topicData[0].partitions) eos.updateSequence(topic, entry.partition, -entry.messages.length);
              throw e;
            }
            for (const partition of partitions) pending.delete(partition);
          } finally {
            eos.releaseBrokerLock(broker);
          }
        }));
        const failed = sent.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        if (pending.size > 0) throw Object.assign(new Error(`no leader known for partitions ${[...pending.keys()].join(", ")} of ${topic}`), { retriable: true });
      } catch (e) {
        // Reconnect and refresh what may be stale; failing to is the next attempt's business.
        if (!(cluster as unknown as { isConnected(): boolean }).isConnected()) await cluster.connect().catch(() => {});
        if (staleMetadata(e) || retriable(e)) await cluster.refreshMetadata().catch(() => {});
        throw e;
      }
    });
  }

  /**
   * One Produce request (acks=all) to `broker` with a record batch per partition, encoded here
   * (record-batch.ts) and framed as kafkajs frames the Produce version it negotiated; its response is
   * read by kafkajs, which throws a partition's error.
   */
  private async produce(broker: KafkaBroker, topic: string, partitions: readonly { partition: number; firstSequence: number; messages: readonly KafkaRecord[] }[]): Promise<void> {
    const eos = this.eos;
    const transactionalId = eos.isTransactional() ? eos.getTransactionalId() : null;
    const producerId = String(eos.getProducerId());
    const epoch = eos.getProducerEpoch();
    const lookup = broker.lookupRequest as (key: number, request: unknown) => (o: object) => { request: { apiVersion: number; encode(): Promise<unknown> }; response: unknown };
    const framed = lookup.call(broker, PRODUCE_KEY, produceRequests)({ acks: -1, timeout: PRODUCE_TIMEOUT_MS, topicData: [], transactionalId, producerId, producerEpoch: epoch });
    if (framed.request.apiVersion < 3) {
      throw new IOError({ code: "BL_KAFKA_SINK", domain: "external", value: framed.request.apiVersion, rule: "the broker's Produce request is older than version 3 (Kafka 0.11), which has no record batches", fix: "use Kafka 0.11 or newer" });
    }
    const batches = partitions.map((p) => encodeRecordBatch(p.messages, { producerId, epoch, baseSequence: p.firstSequence, transactional: transactionalId !== null }));
    framed.request.encode = async () => {
      const e = new Encoder().writeString(transactionalId).writeInt16(-1).writeInt32(PRODUCE_TIMEOUT_MS).writeInt32(1).writeString(topic).writeInt32(partitions.length);
      partitions.forEach((p, i) => e.writeInt32(p.partition).writeInt32(batches[i].length).writeBuffer(batches[i]));
      return e;
    };
    const send = Object.getOwnPropertySymbols(Object.getPrototypeOf(broker)).find((k) => k.description === "private:Broker:sendRequest");
    await (broker as unknown as Record<symbol, (r: unknown) => Promise<unknown>>)[send!](framed);
  }

  /** Adds `offset` of `topic`/`partition` for consumer group `groupId` to the open transaction (TxnOffsetCommit): committed with it, or not at all. */
  async sendOffset(groupId: string, topic: string, partition: number, offset: number): Promise<void> {
    await this.eos.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: String(offset) }] }] });
  }

  /** Commits the open transaction (EndTxn). */
  async commit(): Promise<void> {
    await this.eos.commit();
  }

  /** Aborts the open transaction, if any. */
  async abort(): Promise<void> {
    if (this.eos.isInTransaction()) await this.eos.abort();
  }
}
