/**
 * The connections one reading source shares between its partitions, discovery and commits: a kafkajs
 * client, its cluster (fetches, offsets, commits below kafkajs's public API), an admin client
 * (metadata, committed offsets) and the fetcher. Opened when first needed and closed when the last
 * user lets go, so a finished read leaves no socket open.
 */
import type { Admin, Kafka } from "kafkajs";
import { clusterOf, kafkaClient, type KafkaCluster } from "../client/connection";
import { registerKafkaCodecs } from "../client/codecs";
import { Fetcher } from "./fetcher";
import type { KafkaReadSettings } from "./options";

/** The open connections. */
export interface KafkaSession {
  readonly kafka: Kafka;
  readonly cluster: KafkaCluster;
  readonly admin: Admin;
  readonly fetcher: Fetcher;
}

/** Reference-counted connections of one source. */
export class SharedSession {
  private opening: Promise<KafkaSession> | null = null;
  private users = 0;

  constructor(private readonly settings: KafkaReadSettings) {}

  /** The connections, open; `release` once done with them. */
  acquire(): Promise<KafkaSession> {
    this.users++;
    return this.open().catch(async (e) => {
      await this.release();
      throw e;
    });
  }

  /** Lets go of the connections `acquire` gave; the last user closes them. */
  async release(): Promise<void> {
    if (--this.users === 0) await this.close();
  }

  /** Runs `f` with the connections open. */
  async use<T>(f: (s: KafkaSession) => Promise<T>): Promise<T> {
    const s = await this.acquire();
    try {
      return await f(s);
    } finally {
      await this.release();
    }
  }

  private open(): Promise<KafkaSession> {
    if (!this.opening) {
      const s = this.settings;
      this.opening = (async () => {
        registerKafkaCodecs();
        const kafka = kafkaClient(s.connection, s.where);
        const cluster = clusterOf(kafka, { isolationLevel: s.readCommitted ? 1 : 0 });
        const admin = kafka.admin();
        await cluster.connect();
        await admin.connect();
        const fetcher = new Fetcher(cluster, { readCommitted: s.readCommitted, maxWaitMs: s.maxWaitMs, maxBytes: s.maxBytesPerFetch, maxBytesPerPartition: s.maxBytesPerPartition });
        return { kafka, cluster, admin, fetcher };
      })();
      this.opening.catch(() => (this.opening = null));
    }
    return this.opening;
  }

  private async close(): Promise<void> {
    const opening = this.opening;
    this.opening = null;
    if (!opening) return;
    const s = await opening.catch(() => null);
    if (!s) return;
    await s.admin.disconnect().catch(() => {});
    await s.cluster.disconnect().catch(() => {});
  }
}
