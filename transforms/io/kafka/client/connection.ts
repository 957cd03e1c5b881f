/**
 * Connecting to Kafka: the broker list a user gives, checked, and a kafkajs client with bounded
 * retries and its log routed to Beamline's (quiet unless `BEAMLINE_KAFKA_LOG` names a level). Also
 * the client's cluster, for what kafkajs keeps below its public API (fetching assigned partitions
 * without a consumer group, committing a transaction by producer id and epoch); kafkajs is pinned,
 * so that surface is fixed.
 */
import type { Kafka, KafkaConfig, logCreator } from "kafkajs";
import type * as KafkaJs from "kafkajs";
import { IOError, OptionError } from "../../../../sdk/errors";
import { resetFramingOnConnect } from "./framing";

/** How to reach a Kafka cluster. */
export interface KafkaConnectionOptions {
  /** Bootstrap servers: `"host:port"`, comma-separated ones, or a list. */
  readonly brokers: string | readonly string[];
  /** The client id brokers see. Default `beamline`. */
  readonly clientId?: string;
  /** TLS, as kafkajs takes it (`true` for the system's trust store). */
  readonly ssl?: KafkaConfig["ssl"];
  /** SASL authentication, as kafkajs takes it. */
  readonly sasl?: KafkaConfig["sasl"];
  /** How long to wait for a connection (ms). Default 3000. */
  readonly connectionTimeoutMs?: number;
  /** How long to wait for a request (ms). Default 30000. */
  readonly requestTimeoutMs?: number;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** The bootstrap servers of `brokers`, checked: each `host:port` with a port from 1 to 65535. */
export function parseBrokers(brokers: string | readonly string[], where = "Kafka"): string[] {
  const list = (typeof brokers === "string" ? brokers.split(",") : [...brokers]).map((b) => String(b).trim()).filter((b) => b !== "");
  if (list.length === 0) {
    throw new OptionError({ code: "BL_KAFKA_BROKERS", where, value: brokers, rule: "Kafka needs at least one bootstrap server", fix: 'Pass brokers as "host:port", for example "127.0.0.1:9092"' });
  }
  for (const b of list) {
    const m = HOST_PORT.exec(b);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new OptionError({ code: "BL_KAFKA_BROKERS", where, value: b, rule: "a bootstrap server is host:port, with a port from 1 to 65535", fix: 'Write it as "host:port", for example "127.0.0.1:9092"' });
    }
  }
  return list;
}

/** kafkajs, loaded on first use: a pipeline that reads no Kafka does not pay for loading it. */
function kafkajs(): typeof KafkaJs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("kafkajs") as typeof KafkaJs;
}

/** kafkajs's log on stderr, prefixed, from the level `BEAMLINE_KAFKA_LOG` names (default: nothing). */
const stderrLog: logCreator = () => ({ namespace, level, log }) => {
  const { message, ...extra } = log;
  const name = Object.entries(kafkajs().logLevel).find(([, n]) => n === level)?.[0] ?? String(level);
  process.stderr.write(`kafka ${name.toLowerCase()} ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
};

/** A kafkajs client for `options`, with bounded retries (about 10 s in all before an operation fails). */
export function kafkaClient(options: KafkaConnectionOptions, where = "Kafka"): Kafka {
  const { Kafka: KafkaClient, logLevel: LogLevel } = kafkajs();
  resetFramingOnConnect();
  const levels: Record<string, KafkaJs.logLevel> = { nothing: LogLevel.NOTHING, error: LogLevel.ERROR, warn: LogLevel.WARN, info: LogLevel.INFO, debug: LogLevel.DEBUG };
  const level = levels[(process.env.BEAMLINE_KAFKA_LOG ?? "nothing").toLowerCase()] ?? LogLevel.NOTHING;
  return new KafkaClient({
    brokers: parseBrokers(options.brokers, where),
    clientId: options.clientId ?? "beamline",
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30000,
    retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 3000 },
    logLevel: level,
    logCreator: stderrLog,
  });
}

/**
 * kafkajs's cluster object (`kafkajs/src/cluster`): metadata, brokers by node id, coordinators. Made
 * the way the client makes its own, so it shares the client's brokers, retries and log.
 */
export interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(which: { nodeId: number | string }): Promise<KafkaBroker>;
  findGroupCoordinator(which: { groupId: string; coordinatorType?: number }): Promise<KafkaBroker>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
}

/** One broker connection of kafkajs (`kafkajs/src/broker`): requests by Kafka API, as plain objects. */
export interface KafkaBroker {
  readonly nodeId: number;
  [request: string]: unknown;
}

interface ClusterSettings {
  readonly isolationLevel?: number;
  readonly allowAutoTopicCreation?: boolean;
  readonly metadataMaxAge?: number;
}

/** A new cluster object of `kafka` (connect it before use, disconnect it after). */
export function clusterOf(kafka: Kafka, settings: ClusterSettings = {}): KafkaCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
  const create = key !== undefined ? (kafka as unknown as Record<symbol, unknown>)[key] : undefined;
  if (typeof create !== "function") {
    throw new IOError({ code: "BL_KAFKA_CLIENT", domain: "external", value: "kafkajs", rule: "the pinned kafkajs 2.2.4 client is needed (its cluster API changed)", fix: "Install the kafkajs version package.json pins (npm ci)" });
  }
  return (create as (s: ClusterSettings) => KafkaCluster)({ allowAutoTopicCreation: false, ...settings });
}
