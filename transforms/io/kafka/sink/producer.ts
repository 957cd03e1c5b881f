/**
 * A producer on a shared kafkajs cluster: kafkajs's own idempotent or transactional machinery (its
 * `eosManager`: producer id, epoch, sequence numbers; its message producer: batching per broker,
 * retries), made below kafkajs's public API so that many transactional ids share one connection and
 * the producer id and epoch of a transaction can be recorded. kafkajs is pinned at 2.2.4, so this
 * surface is fixed.
 */
import type { Kafka } from "kafkajs";
import type { KafkaCluster } from "../client/connection";
import type { KafkaRecord } from "./records";

/* eslint-disable @typescript-eslint/no-require-imports */
const createEosManager = require("kafkajs/src/producer/eosManager") as (o: object) => EosManager;
const createMessageProducer = require("kafkajs/src/producer/messageProducer") as (o: object) => { sendBatch(o: object): Promise<unknown> };
const createRetry = require("kafkajs/src/retry") as (o: object) => unknown;
const { DefaultPartitioner } = require("kafkajs/src/producer/partitioners") as { DefaultPartitioner: () => unknown };
const { CONNECTION_STATUS } = require("kafkajs/src/network/connectionStatus") as { CONNECTION_STATUS: { CONNECTED: string } };
/* eslint-enable @typescript-eslint/no-require-imports */

interface EosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  getProducerId(): string | number;
  getProducerEpoch(): number;
  abort(): Promise<void>;
  isInTransaction(): boolean;
}

/**
 * How sends retry: bounded exponential backoff (about 40 s in all), long enough for a broker restart,
 * after which the send fails and the run with it.
 */
export const SEND_RETRY = { retries: 12, initialRetryTime: 200, maxRetryTime: 5000 };

/** A producer of one transactional id (or an idempotent one without), on `cluster`. */
export class ClusterProducer {
  private readonly eos: EosManager;
  private readonly sender: { sendBatch(o: object): Promise<unknown> };

  constructor(kafka: Kafka, cluster: KafkaCluster, options: { transactionalId?: string; transactionTimeoutMs: number }) {
    const logger = kafka.logger().namespace("Producer");
    this.eos = createEosManager({ logger, cluster, transactionTimeout: options.transactionTimeoutMs, transactional: options.transactionalId !== undefined, transactionalId: options.transactionalId });
    this.sender = createMessageProducer({
      logger,
      cluster,
      partitioner: DefaultPartitioner(),
      eosManager: this.eos,
      idempotent: true,
      retrier: createRetry({ ...(cluster as unknown as { retry: object }).retry, ...SEND_RETRY }),
      getConnectionStatus: () => CONNECTION_STATUS.CONNECTED,
    });
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

  /** Sends records to `topic` and waits until every replica in sync has them (acks=all). */
  async send(topic: string, records: readonly KafkaRecord[]): Promise<void> {
    await this.sender.sendBatch({ topicMessages: [{ topic, messages: records }], acks: -1 });
  }

  /** Aborts the open transaction, if any. */
  async abort(): Promise<void> {
    if (this.eos.isInTransaction()) await this.eos.abort();
  }
}
