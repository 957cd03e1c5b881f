/**
 * Kafka transactions finished from their recorded producer id and epoch, by any process: the commit
 * after a checkpoint completes (EndTxn through the transaction coordinator, as Flink's
 * `FlinkKafkaInternalProducer` resumes a transaction), and the fencing probe that aborts what a
 * killed attempt left open (InitProducerId, as Flink's `TransactionAborter`).
 */
import { IOError } from "../../../../sdk/errors";
import type { KafkaCluster } from "../client/connection";
import { kafkaFailure, protocolType, withRetries } from "./failures";

/**
 * What a writer prepared at a barrier: its transaction (when it wrote records) and the number of the
 * transactional id it uses next, so that a restored run knows where its ids continue.
 */
export type KafkaCommittable = {
  /** The writer (shard) that prepared it. */
  readonly shard: number;
  /** The number of the transactional id the writer uses after this barrier (`<prefix>-<shard>-<next>`). */
  readonly next: number;
  /** How many records the transaction holds; 0 when the writer wrote nothing since the last barrier (nothing to commit). */
  readonly records: number;
  /** The transactional id, when there are records. */
  readonly transactionalId: string | null;
  /** The producer id that holds the transaction, as a decimal string. */
  readonly producerId: string | null;
  /** The producer epoch of the transaction. */
  readonly epoch: number | null;
};

/** The transactional id of a sink's writer `shard`, number `n`. */
export function transactionalId(prefix: string, shard: number, n: number): string {
  return `${prefix}-${shard}-${n}`;
}

/** The transaction coordinator's key type in FindCoordinator. */
const TRANSACTION_COORDINATOR = 1;

/** Errors that say the transaction is no longer open under that producer id and epoch: it was aborted, or expired and was aborted. */
const LOST = new Set(["INVALID_TXN_STATE", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING", "TRANSACTIONAL_ID_NOT_FOUND"]);

/**
 * Commits a prepared transaction by EndTxn with its producer id and epoch. A transaction committed
 * before (by this run or a crashed one) is done; one that was aborted or expired is an error naming it.
 */
export async function commitTransaction(cluster: KafkaCluster, c: KafkaCommittable, timeoutMs: number): Promise<void> {
  const transactionalId = c.transactionalId!;
  try {
    await withRetries(async () => {
      const coordinator = await cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: TRANSACTION_COORDINATOR });
      await (coordinator.endTxn as (r: object) => Promise<unknown>)({ transactionalId, producerId: c.producerId, producerEpoch: c.epoch, transactionResult: true });
    }, [...LOST]);
  } catch (e) {
    if (LOST.has(protocolType(e) ?? "")) {
      throw new IOError({
        code: "BL_KAFKA_TRANSACTION_LOST",
        domain: "external",
        where: "writeKafka commit",
        value: transactionalId,
        rule: `transaction ${transactionalId} (producer ${c.producerId}, epoch ${c.epoch}, ${c.records} records) can no longer be committed (${protocolType(e)}): it was aborted, most likely because it stayed open longer than its transaction.timeout.ms of ${timeoutMs} ms before the checkpoint that holds it was committed`,
        fix: "resume crashed runs sooner, or raise writeKafka's transactionTimeoutMs (up to the broker's transaction.max.timeout.ms); the records of this transaction are lost to read_committed readers",
        cause: e,
      });
    }
    throw kafkaFailure(e, "writeKafka commit", `committing transaction ${transactionalId}`);
  }
}

/** Claims `transactionalId` (InitProducerId): fences its producer and aborts its open transaction; returns the new epoch (0: the id was never used). */
export async function fenceTransactionalId(cluster: KafkaCluster, id: string, timeoutMs: number): Promise<number> {
  try {
    return await withRetries(async () => {
      const coordinator = await cluster.findGroupCoordinator({ groupId: id, coordinatorType: TRANSACTION_COORDINATOR });
      const r = (await (coordinator.initProducerId as (r: object) => Promise<{ producerEpoch: number }>)({ transactionalId: id, transactionTimeout: timeoutMs })) ;
      return r.producerEpoch;
    });
  } catch (e) {
    throw kafkaFailure(e, "writeKafka recovery", `aborting the lingering transaction of ${id}`);
  }
}

/**
 * Aborts what writer `shard` left open after number `from`: claims `<prefix>-<shard>-<from>`, the next
 * number and so on until one was never used (its first claim). Returns how many ids were claimed.
 */
export async function abortFrom(cluster: KafkaCluster, prefix: string, shard: number, from: number, timeoutMs: number): Promise<number> {
  let n = from;
  while ((await fenceTransactionalId(cluster, transactionalId(prefix, shard, n), timeoutMs)) > 0) n++;
  return n - from + 1;
}
