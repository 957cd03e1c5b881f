/**
 * The source behind `readKafka`: one part per partition ({topic, partition}, and in bounded mode the
 * offset it stops at), placed on an instance by Flink's owner function (see `assignment.ts`), read
 * from its position (the next offset) with fetches bounded in bytes: one fetch ahead of the rows
 * going downstream, and the next only when the read operator pulls again. Each fetch becomes one Arrow batch and one chunk with the position after it and
 * the partition's watermark; undecodable records go to the dead-letter output. New partitions and
 * topics are discovered while running (on the direct runner; a portable runner reads the partitions
 * `split` found at the start, each as a restriction, resuming a read bundle by bundle with the time
 * of its last data so `idleTimeout` counts across bundles); when a checkpoint completes (a portable
 * runner: a bundle is finalized), its positions are committed to the consumer group, if one is named.
 */
import type * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS } from "../../../../sdk/batch";
import { BeamlineError, IOError } from "../../../../sdk/errors";
import type { JsonValue } from "../../../../sdk/graph";
import type { FetchedBatch } from "./fetcher";
import type { BoundedSource, PartPosition, ReadContext, SourceChunk } from "../../../../sdk/source";
import { partitionSlot } from "./assignment";
import { kafkaDeadLetterChunk } from "./dead-letter";
import { decodeRecords } from "./decode";
import { commitOffsets, committedOffsets, EARLIEST, LATEST, listOffsets } from "./offsets";
import type { KafkaReadSettings } from "./options";
import { withRetries } from "./retries";
import { SharedSession, type KafkaSession } from "./session";
import { PartitionWatermark } from "./watermarks";

/** One partition to read; `stop` (bounded mode) is the offset it ends before. */
export interface KafkaPart {
  readonly topic: string;
  readonly partition: number;
  readonly stop?: number;
}

/**
 * Where a partition's read got to: the next offset, and the last offset whose dead letter was already
 * emitted (so a restore between a fetch's dead letters and its rows does not emit them twice). A
 * newly discovered partition starts at `{ from: "earliest" }`.
 */
export type KafkaPosition = { readonly next: number; readonly lettersThrough?: number } | { readonly from: "earliest" };

/** Reads Kafka partitions. */
export class KafkaSource implements BoundedSource {
  readonly boundedness: "bounded" | "unbounded";
  readonly discoveryIntervalMs: number;
  private readonly session: SharedSession;

  /**
   * @param transform the read transform's unique name, for dead letters
   */
  constructor(readonly settings: KafkaReadSettings, readonly rowSchema: arrow.Schema, readonly transform: string) {
    this.boundedness = settings.bounded ? "bounded" : "unbounded";
    this.discoveryIntervalMs = settings.discoveryIntervalMs;
    this.session = new SharedSession(settings);
  }

  /** Every partition of the topics (with its end offset in bounded mode); the runner places them by `slotOf`. */
  async split(): Promise<JsonValue[]> {
    try {
      return await this.session.use(async (s) => {
        const parts = await this.partitions(s);
        if (!this.settings.bounded) return parts as unknown as JsonValue[];
        const out: KafkaPart[] = [];
        for (const [topic, ps] of byTopic(parts)) {
          const ends = (await withRetries(() => listOffsets(s.cluster, topic, ps, LATEST, this.settings.readCommitted), undefined, this.settings.where, topic))!;
          for (const partition of ps) out.push({ topic, partition, stop: ends.get(partition) ?? 0 });
        }
        return out as unknown as JsonValue[];
      });
    } catch (e) {
      if (e instanceof BeamlineError) throw e;
      throw new IOError({
        code: "BL_KAFKA_UNREACHABLE",
        domain: "external",
        retriable: true,
        where: this.settings.where,
        value: this.settings.connection.brokers,
        rule: `the Kafka cluster did not answer when the read started (${(e as Error).message})`,
        fix: "check that the brokers run and are reachable from here, then run again",
        cause: e,
      });
    }
  }

  /** Flink's owner slot of the partition. */
  slotOf(part: JsonValue): number {
    const p = part as unknown as KafkaPart;
    return partitionSlot(p.topic, p.partition);
  }

  /** The partitions that exist now; one not known before is read from its earliest offset. */
  async discover(): Promise<PartPosition[]> {
    const parts = await this.session.use((s) => this.partitions(s));
    return parts.map((part) => ({ part: part as unknown as JsonValue, position: { from: "earliest" } }));
  }

  /** Commits the checkpoint's positions to the consumer group, if one is named. */
  async checkpointCompleted(positions: readonly PartPosition[]): Promise<void> {
    const groupId = this.settings.groupId;
    if (groupId === null) return;
    const offsets = positions.flatMap(({ part, position }) => {
      const p = part as unknown as KafkaPart;
      const at = position as KafkaPosition | null;
      return at !== null && "next" in at ? [{ topic: p.topic, partition: p.partition, offset: at.next }] : [];
    });
    await this.session.use((s) => commitOffsets(s.cluster, groupId, offsets));
  }

  /** Reads one partition from `from` (null: where `startOffset` says). */
  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const { topic, partition, stop } = part as unknown as KafkaPart;
    const s = this.settings;
    const what = `${topic}/${partition}`;
    const session = await this.session.acquire();
    try {
      const at = from as KafkaPosition | null;
      let next: number;
      let lettersThrough = -1;
      if (at !== null && "next" in at) {
        next = at.next;
        lettersThrough = at.lettersThrough ?? -1;
      } else {
        const start = await withRetries(() => this.startOffset(session, topic, partition, at === null ? null : EARLIEST), ctx, s.where, what, () => session.cluster.refreshMetadata());
        if (start === null) return;
        next = start;
        // The checkpoint holds the resolved start, so a restore does not resolve "latest" again.
        yield { position: { next } };
      }
      const now = () => ctx?.processingTime() ?? Date.now();
      // A resumed read (a portable runner's next bundle) counts the idle timeout from the part's last data.
      const marks = new PartitionWatermark(s.maxOutOfOrdernessMs, s.idleTimeoutMs, ctx?.lastDataAt ?? now());
      const fetchFrom = (offset: number) => {
        const batch = withRetries(() => session.fetcher.fetch(topic, partition, offset), ctx, s.where, what, () => session.cluster.refreshMetadata());
        batch.catch(() => {}); // awaited below, unless the read ends first
        return { offset, batch };
      };
      /** The fetch made while the previous one's rows went downstream (one per partition: bounded by maxBytesPerPartition). */
      let ahead: ReturnType<typeof fetchFrom> | null = null;
      /** The partition's lag, from the end offset each fetch returns: records between `position` and the end. */
      const reportLag = (fetched: FetchedBatch, position: number) => {
        if (fetched.endOffset >= 0) ctx?.reportBacklog?.(what, { records: Math.max(0, fetched.endOffset - position) });
      };
      while (stop === undefined || next < stop) {
        if (ctx?.cancelled) return;
        const batch = await (ahead?.offset === next ? ahead : fetchFrom(next)).batch;
        ahead = null;
        if (batch === null) return;
        reportLag(batch, batch.isEmptyIncludingFiltered() ? next : Math.min(Number(batch.lastOffset()) + 1, stop ?? Infinity));
        if (batch.isEmptyIncludingFiltered()) {
          if (marks.idle(now())) yield { idle: true };
          continue;
        }
        const fetchedTo = Number(batch.lastOffset()) + 1;
        let records = batch.messages;
        if (stop !== undefined && fetchedTo > stop) records = records.filter((m) => Number(m.offset) < stop);
        const after = stop !== undefined ? Math.min(fetchedTo, stop) : fetchedTo;
        if (stop === undefined || after < stop) ahead = fetchFrom(after);
        if (records.length === 0) {
          yield { position: { next: after } };
          next = after;
          continue;
        }
        const decoded = decodeRecords(records, topic, partition, this.rowSchema, s);
        const watermark = marks.observe(decoded.maxEventTime, now());
        const letters = decoded.deadLetters.filter((d) => d.offset > lettersThrough);
        if (letters.length > 0) {
          lettersThrough = letters.reduce((m, d) => Math.max(m, d.offset), lettersThrough);
          yield { ...kafkaDeadLetterChunk(this.transform, letters), position: { next, lettersThrough } };
        }
        const rows = decoded.data.numRows > 0 ? { batch: { data: decoded.data, timestamps: decoded.timestamps, windows: GLOBAL_WINDOWS } } : {};
        yield { ...rows, position: { next: after }, ...(watermark !== undefined ? { watermark } : {}) };
        next = after;
      }
    } finally {
      await this.session.release();
    }
  }

  /** Where a partition starts: `timestamp` (EARLIEST for a discovered one), else what `startOffset` says. */
  private async startOffset(s: KafkaSession, topic: string, partition: number, timestamp: number | null): Promise<number> {
    const start = this.settings.startOffset;
    const readCommitted = this.settings.readCommitted;
    if (timestamp === null && start === "committed") {
      const committed = await committedOffsets(s.admin, this.settings.groupId!, topic);
      const offset = committed.get(partition);
      if (offset !== undefined) return offset;
    }
    const at = timestamp ?? (start === "latest" ? LATEST : typeof start === "object" ? start.timestamp : EARLIEST);
    const offsets = await listOffsets(s.cluster, topic, [partition], at, readCommitted);
    return offsets.get(partition) ?? 0;
  }

  /** The partitions of the topics (a RegExp matches every topic but Kafka's internal ones), in topic and partition order. */
  private async partitions(s: KafkaSession): Promise<KafkaPart[]> {
    const where = this.settings.where;
    const wanted = this.settings.topics;
    const topics = wanted instanceof RegExp ? (await s.admin.listTopics()).filter((t) => !t.startsWith("__") && wanted.test(t)).sort() : [...wanted];
    if (topics.length === 0) return [];
    let metadata;
    try {
      metadata = await s.admin.fetchTopicMetadata({ topics });
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type === "UNKNOWN_TOPIC_OR_PARTITION") {
        throw new IOError({ code: "BL_KAFKA_TOPIC_UNKNOWN", domain: "external", where, value: topics, rule: "a topic to read does not exist", fix: "create the topic first (kafka-topics --create), or fix its name", cause: e });
      }
      throw e;
    }
    const out: KafkaPart[] = [];
    for (const t of metadata.topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      for (const p of [...t.partitions].sort((a, b) => a.partitionId - b.partitionId)) out.push({ topic: t.name, partition: p.partitionId });
    }
    return out;
  }
}

function byTopic(parts: readonly KafkaPart[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of parts) out.set(p.topic, [...(out.get(p.topic) ?? []), p.partition]);
  return out;
}
