/**
 * Fetching partitions without a consumer group. A broker answers the requests of one connection in
 * order, so every partition read from one leader shares one Fetch request: the readers that ask
 * while a fetch is in flight go together into the next one. A reader asks only when the read
 * operator pulls it (downstream has room), so nothing is fetched ahead of demand; each fetch is
 * bounded in bytes, overall and per partition. The records come as kafkajs decodes them (one object
 * per record, its key and value slices of the response); aborted transactions and control records
 * are dropped as kafkajs's consumer drops them.
 */
import type { KafkaBroker, KafkaCluster } from "../client/connection";

// kafkajs's consumer batch: drops records of aborted transactions and control records (pinned 2.2.4).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const KafkaBatch = require("kafkajs/src/consumer/batch") as new (topic: string, fetchedOffset: string, partitionData: unknown) => FetchedBatch;

/** One record as kafkajs decodes it. */
export interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[] | undefined>;
  readonly batchContext: { readonly timestampType?: number };
}

/** What one fetch returned for one partition. */
export interface FetchedBatch {
  /** The records (of committed transactions only under read_committed), in offset order. */
  readonly messages: FetchedRecord[];
  /** The offset after the last offset returned, records filtered out and control records included, as a string. */
  lastOffset(): string;
  isEmptyIncludingFiltered(): boolean;
  readonly highWatermark: string;
  /** Where the partition's readable records end: the last stable offset under read_committed, else the high watermark (-1: unknown). */
  readonly endOffset: number;
}

interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  resolve(batch: FetchedBatch): void;
  reject(e: unknown): void;
}

/** Limits of one fetch. */
export interface FetchLimits {
  readonly readCommitted: boolean;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
}

/** Fetches partitions from their leaders, one request per leader at a time. */
export class Fetcher {
  private readonly queued = new Map<number, Pending[]>();
  private readonly inFlight = new Set<number>();

  constructor(private readonly cluster: KafkaCluster, private readonly limits: FetchLimits) {}

  /** The records of `topic`/`partition` from `offset` (an empty batch when none came within the wait). */
  async fetch(topic: string, partition: number, offset: number): Promise<FetchedBatch> {
    await this.cluster.addTargetTopic(topic);
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const leader = Number(Object.keys(leaders)[0]);
    if (!Number.isInteger(leader)) {
      await this.cluster.refreshMetadata();
      throw Object.assign(new Error(`no leader for ${topic}/${partition}`), { name: "KafkaJSLeaderNotAvailable", retriable: true, type: "LEADER_NOT_AVAILABLE" });
    }
    return new Promise<FetchedBatch>((resolve, reject) => {
      const list = this.queued.get(leader) ?? [];
      list.push({ topic, partition, offset, resolve, reject });
      this.queued.set(leader, list);
      if (!this.inFlight.has(leader)) {
        this.inFlight.add(leader);
        // Readers asking in the same turn go into the same request.
        setImmediate(() => void this.send(leader));
      }
    });
  }

  private async send(leader: number): Promise<void> {
    const batch = this.queued.get(leader) ?? [];
    this.queued.delete(leader);
    let broker: KafkaBroker | null = null;
    try {
      if (batch.length === 0) return;
      const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
      for (const p of batch) {
        const list = topics.get(p.topic) ?? [];
        list.push({ partition: p.partition, fetchOffset: String(p.offset), maxBytes: this.limits.maxBytesPerPartition });
        topics.set(p.topic, list);
      }
      broker = await this.cluster.findBroker({ nodeId: leader });
      const response = (await (broker.fetch as (r: unknown) => Promise<FetchResponse>)({
        replicaId: -1,
        isolationLevel: this.limits.readCommitted ? 1 : 0,
        maxWaitTime: this.limits.maxWaitMs,
        minBytes: 1,
        maxBytes: this.limits.maxBytes,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      })) as FetchResponse;
      const byPartition = new Map<string, unknown>();
      for (const r of response.responses) for (const p of r.partitions) byPartition.set(`${r.topicName}\0${p.partition}`, p);
      for (const p of batch) {
        const data = (byPartition.get(`${p.topic}\0${p.partition}`) ?? { partition: p.partition, highWatermark: "-1", messages: [], abortedTransactions: [] }) as { highWatermark: string; lastStableOffset?: string };
        const stable = Number(data.lastStableOffset ?? -1);
        const endOffset = this.limits.readCommitted && stable >= 0 ? stable : Number(data.highWatermark);
        p.resolve(Object.assign(new KafkaBatch(p.topic, String(p.offset), data), { endOffset }));
      }
    } catch (e) {
      // A fetch that got no answer in time leaves a connection that may never answer again: the next one connects afresh.
      if ((e as { name?: string }).name === "KafkaJSRequestTimeoutError" && broker) void (broker.disconnect as () => Promise<void>).call(broker).catch(() => {});
      // An error of one partition (an offset out of range) is that partition's; the others try again.
      const only = e as { topic?: string; partition?: number };
      for (const p of batch) {
        const theirs = only.topic === undefined || (only.topic === p.topic && only.partition === p.partition);
        p.reject(theirs ? e : Object.assign(new Error(`the fetch failed for ${only.topic}/${only.partition}`), { name: "KafkaJSFetchRetry", retriable: true }));
      }
    } finally {
      if ((this.queued.get(leader) ?? []).length > 0) setImmediate(() => void this.send(leader));
      else this.inFlight.delete(leader);
    }
  }
}

interface FetchResponse {
  readonly responses: { readonly topicName: string; readonly partitions: { readonly partition: number }[] }[];
}
