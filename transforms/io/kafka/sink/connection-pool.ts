/**
 * One kafkajs cluster connection, opened on first use and closed after a second without use, so that a
 * sink (which the sink contract never closes) leaves no socket open after a run.
 */
import type { Kafka } from "kafkajs";
import { clusterOf, kafkaClient, type KafkaCluster, type KafkaConnectionOptions } from "../client/connection";
import { kafkaFailure, withRetries } from "./failures";

const describeBrokers = (brokers: string | readonly string[]) => (typeof brokers === "string" ? brokers : brokers.join(","));

/** How long an unused connection stays open. */
const IDLE_MS = 1000;

/** A cluster connection used by `use`, closed when idle and opened again by the next `use` (the same cluster object, so producers on it keep their state). */
export class IdleConnection {
  readonly kafka: Kafka;
  readonly cluster: KafkaCluster;
  private connecting: Promise<void> | null = null;
  private users = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: KafkaConnectionOptions, private readonly where: string) {
    this.kafka = kafkaClient(options, where);
    this.cluster = clusterOf(this.kafka);
  }

  /** Runs `fn` with the connected cluster; the connection stays open while any `use` runs. */
  async use<T>(fn: (cluster: KafkaCluster) => Promise<T>): Promise<T> {
    this.users++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      await (this.connecting ??= withRetries(() => this.cluster.connect()).catch((e: unknown) => {
        this.connecting = null;
        throw kafkaFailure(e, this.where, `connecting to ${describeBrokers(this.options.brokers)}`);
      }));
      return await fn(this.cluster);
    } finally {
      if (--this.users === 0) this.timer = setTimeout(() => void this.close(), IDLE_MS);
    }
  }

  /** Closes the connection now (a later `use` opens it again). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.users > 0 || this.connecting === null) return;
    this.connecting = null;
    await this.cluster.disconnect().catch(() => {});
  }
}
