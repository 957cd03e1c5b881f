/**
 * The Kafka sink on Beamline's two-phase sink contract, following Flink's `KafkaSink` (see
 * `writeKafka` for why): writers send each checkpoint interval's records in a transaction of their
 * own, the barrier prepares it, the committer commits it by producer id and epoch once the checkpoint
 * completes, and recovery commits the restored checkpoint's transactions again and fences the ids
 * used after it.
 */
import type { Committer, SequencedWriter, Sink, SinkRecovery, SinkWriter, WriterContext } from "../../../../sdk/sink";
import { IdleConnection } from "./connection-pool";
import type { KafkaSinkSettings } from "./options";
import { abortFrom, commitTransaction, fenceTransactionalId, type KafkaCommittable } from "./transactions";
import { KafkaWriter } from "./writer";
import { SequencedShardWriter } from "./sequenced-writer";
import { rejectedRowsOf } from "../../rejected-rows";

/** A Kafka sink, exactly-once or at-least-once. */
export class KafkaSink implements Sink<KafkaCommittable> {
  /** How many writers (producers) the sink has. */
  readonly numShards: number;
  /** Commits prepared transactions (exactly-once; at-least-once has nothing to commit). */
  readonly committer: Committer<KafkaCommittable>;
  /** The writers of the current run, by shard: a restore tells them where their transactional ids continue. */
  private readonly writers = new Map<number, KafkaWriter>();
  private conn: IdleConnection | null = null;

  constructor(readonly settings: KafkaSinkSettings) {
    this.numShards = settings.shards;
    const timeout = settings.transactionTimeoutMs;
    this.committer = {
      commit: async (committables) => {
        const open = committables.filter((c) => c.records > 0 && c.transactionalId !== null);
        if (open.length > 0) await this.connection().use(async (cluster) => {
          for (const c of open) await commitTransaction(cluster, c, timeout);
        });
        return [];
      },
      abort: async (committables) => {
        const open = committables.filter((c) => c.records > 0 && c.transactionalId !== null);
        if (open.length > 0) await this.connection().use(async (cluster) => {
          for (const c of open) await fenceTransactionalId(cluster, c.transactionalId!, timeout);
        });
      },
    };
    if (settings.semantics === "exactly-once") this.sequencedWriter = (shard) => new SequencedShardWriter(settings, this.connection(), shard);
  }

  /** Exactly-once: a writer of a stable input's shard (see sequenced-writer.ts). */
  readonly sequencedWriter?: (shard: number) => SequencedWriter;

  async createWriter(context: WriterContext): Promise<SinkWriter<KafkaCommittable>> {
    const rejected = rejectedRowsOf(context, this.settings.deadLetter, `WriteKafka(${this.settings.topic})`);
    const writer = new KafkaWriter(this.settings, this.connection(), context.index, rejected);
    this.writers.set(context.index, writer);
    return writer;
  }

  /**
   * Fences every transactional id used after the restored checkpoint: for each shard, from the number
   * the checkpoint says comes next, until one that was never used; the shard's writer continues there.
   */
  async abortLingering(recovery: SinkRecovery<KafkaCommittable>): Promise<void> {
    if (this.settings.semantics !== "exactly-once") return;
    const next = new Map<number, number>();
    for (const c of recovery.committables) next.set(c.shard, Math.max(next.get(c.shard) ?? 1, c.next));
    for (let shard = 0; shard < this.numShards; shard++) if (!next.has(shard)) next.set(shard, 1);
    const { transactionalIdPrefix: prefix, transactionTimeoutMs } = this.settings;
    await this.connection().use(async (cluster) => {
      for (const [shard, from] of next) {
        await abortFrom(cluster, prefix, shard, from, transactionTimeoutMs);
        this.writers.get(shard)?.resumeAt(from);
      }
    });
  }

  private connection(): IdleConnection {
    return (this.conn ??= new IdleConnection(this.settings.connection, `writeKafka to ${this.settings.topic}`));
  }
}
