/**
 * The Kafka → Kafka case: every implementation reads the same input topic of small keyed records
 * (`key: "k<i % 1000>"`, `value: "v<i>"`, 3 partitions) and writes each record, its value upper-cased,
 * to an output topic of its own; the run ends when every input record was read and written.
 *
 * - Beamline: `readKafka({ stopAt: "end" })` → a map → `writeKafka`, exactly-once with aligned
 *   checkpoints every `checkpointIntervalMs` (transactions committed with them), or at-least-once
 *   (an idempotent producer, no checkpoints), at parallelism 1 or 2 (one sink shard per instance).
 * - plain JS: kafkajs as a careful programmer uses it: a consumer group reading from
 *   the beginning, each fetched batch produced to the output topic by an idempotent producer.
 *
 * The harness side (`kafkaInput`, `kafkaOutputTopic`, `stopKafka`) starts the bundled broker once and
 * feeds the input topic. Each child reads its output back, untimed: the committed records counted and
 * the sum of their numbers (every implementation agrees on both), and the output's end offsets.
 */
import { Kafka, logLevel, Partitioners, type Admin } from "kafkajs";
import * as path from "node:path";
import { collect, combineGlobally, count, DirectRunner, map, Pipeline, readKafka, sum, writeKafka } from "../index";
import { buildPipeline, definePipeline } from "../sdk/definition";
import { option } from "../sdk/options";
import { startKafka, type KafkaBroker } from "../runners/services/kafka/kafka";
import type { CaseParams, Impl, ImplOutput } from "./measure";

/** Records per produce request of the kafkajs loop (about 250 kB of these records). */
const PRODUCE_CHUNK = 10_000;

/** Partitions of the input and output topics. */
export const KAFKA_PARTITIONS = 3;

/** readKafka (bounded at the end offsets seen at start) → upper-case the value → writeKafka keyed by `key`. */
export const kafkaToKafkaPipeline = definePipeline({
  options: {
    brokers: option.string("bootstrap servers"),
    input: option.string("the topic read"),
    output: option.string("the topic written"),
    semantics: option.string("exactly-once or at-least-once", { default: "exactly-once" }),
    shards: option.integer("sink writers", { default: 1 }),
  },
  build(p, { brokers, input, output, semantics, shards }) {
    p.apply("Read", readKafka({ brokers, topics: [input], stopAt: "end" }))
      .apply("Upper", map((r: { key: string | Uint8Array | null; value: string | null }) => ({ key: r.key, value: r.value === null ? null : r.value.toUpperCase() })))
      .apply("Write", writeKafka({ brokers, topic: output, key: "key", value: "value", semantics: semantics as "exactly-once" | "at-least-once", shards, transactionalIdPrefix: `bench-${output}` }));
  },
});

function client(brokers: string): Kafka {
  return new Kafka({ clientId: "beamline-bench", brokers: [brokers], logLevel: logLevel.NOTHING });
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new Error(`bench: the Kafka case needs ${what}; run it with npm run bench`);
  return value;
}

/** Beamline's direct runner, exactly-once or at-least-once (the semantics of the impl name). */
function beamline(semantics: "exactly-once" | "at-least-once"): Impl {
  return async ({ input, outDir, rows, parallelism, checkpointIntervalMs, brokers, outputTopic }) => {
    const p = parallelism ?? 1;
    const checkpoint = semantics === "exactly-once" ? { dir: path.join(outDir, ".checkpoints"), intervalMs: checkpointIntervalMs ?? 1000 } : undefined;
    const pipeline = buildPipeline(kafkaToKafkaPipeline, { brokers: need(brokers, "brokers"), input, output: need(outputTopic, "an output topic"), semantics, shards: p });
    const result = await new DirectRunner({ parallelism: p, checkpoint }).run(pipeline);
    return { rows, report: { semantics, ...(checkpoint ? { checkpointsCompleted: result.checkpoints?.durationsMs.length ?? 0 } : {}) } };
  };
}

/** Beamline, exactly-once with checkpoints. */
export const beamlineExactlyOnce: Impl = beamline("exactly-once");
/** Beamline, at-least-once. */
export const beamlineAtLeastOnce: Impl = beamline("at-least-once");

/** kafkajs: a consumer group from the beginning; each batch produced to the output topic by an idempotent producer. */
export const plainKafkajs: Impl = async ({ input, rows, brokers, outputTopic }) => {
  const kafka = client(need(brokers, "brokers"));
  const output = need(outputTopic, "an output topic");
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-plain-${output}`, maxBytesPerPartition: 1 << 20, maxBytes: 4 << 20 });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          const messages = batch.messages.map((m) => ({ key: m.key, value: m.value === null ? null : m.value.toString("utf8").toUpperCase(), timestamp: m.timestamp }));
          // One fetched batch can hold more than the broker takes in one request (message.max.bytes, 1 MB).
          for (let at = 0; at < messages.length; at += PRODUCE_CHUNK) await producer.send({ topic: output, messages: messages.slice(at, at + PRODUCE_CHUNK) });
          read += messages.length;
          if (read >= rows) resolve();
        },
      }).catch(reject);
    });
    return { rows: read, report: { semantics: "idempotent producer", client: "kafkajs" } };
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
  }
};

/**
 * Reads the output topic back (committed records only): how many, and the sum of their numbers
 * (`V<i>` → i), which every correct implementation shares, failing unless it holds one record per
 * input record; also the sum of its end offsets (with transactions, each commit adds a marker offset).
 */
export async function verifyKafkaOutput({ brokers, outputTopic, rows }: CaseParams): Promise<ImplOutput> {
  const b = need(brokers, "brokers");
  const topic = need(outputTopic, "an output topic");
  const p = new Pipeline();
  const numbers = p.apply("Read", readKafka({ brokers: b, topics: [topic], stopAt: "end" }))
    .apply("Number", map((r: { value: string | null }) => Number(r.value?.slice(1))));
  const n = collect(numbers.apply("Count", combineGlobally(count())), "CollectCount");
  const total = collect(numbers.apply("Sum", combineGlobally(sum())), "CollectSum");
  await new DirectRunner({ parallelism: 1 }).run(p);
  const admin = client(b).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const outputRows = Number(n.rows[0] ?? 0);
    if (outputRows !== rows) throw new Error(`bench: output topic ${topic} holds ${outputRows} committed records; the input has ${rows}`);
    return { rows, outputRows, checksum: Number(total.rows[0] ?? 0), report: { endOffsets: offsets.reduce((s, o) => s + Number(o.high), 0) } };
  } finally {
    await admin.disconnect();
  }
}

let broker: Promise<KafkaBroker> | null = null;
let admin: Admin | null = null;
const topics = new Map<number, string>();

async function adminOf(): Promise<{ brokers: string; admin: Admin }> {
  broker ??= startKafka();
  const b = await broker;
  if (!admin) {
    admin = client(b.bootstrapServers).admin();
    await admin.connect();
  }
  return { brokers: b.bootstrapServers, admin };
}

/**
 * The harness's input topic of `records` records (the bundled broker started on first use, fed once
 * per size): `{ brokers, topic }`. Throws the broker's ProvisioningError when Java or Maven is missing.
 */
export async function kafkaInput(records: number): Promise<{ brokers: string; topic: string }> {
  const { brokers, admin } = await adminOf();
  const known = topics.get(records);
  if (known) return { brokers, topic: known };
  const topic = `bench-in-${records}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: KAFKA_PARTITIONS }], waitForLeaders: true });
  const producer = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  const chunk = 10_000;
  for (let at = 0; at < records; at += chunk) {
    await producer.send({ topic, messages: Array.from({ length: Math.min(chunk, records - at) }, (_, i) => ({ key: `k${(at + i) % 1000}`, value: `v${at + i}` })) });
  }
  await producer.disconnect();
  process.stderr.write(`bench: fed ${records} records to Kafka topic ${topic} (${KAFKA_PARTITIONS} partitions) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  topics.set(records, topic);
  return { brokers, topic };
}

/** Creates an empty output topic for one measurement. */
export async function kafkaOutputTopic(name: string): Promise<string> {
  const { admin } = await adminOf();
  const topic = `bench-out-${name}`.replace(/[^A-Za-z0-9._-]/g, "-");
  await admin.createTopics({ topics: [{ topic, numPartitions: KAFKA_PARTITIONS }], waitForLeaders: true });
  return topic;
}

/** Stops the broker when one was started. */
export async function stopKafka(): Promise<void> {
  if (!broker) return;
  const b = await broker.catch(() => null);
  await admin?.disconnect();
  await b?.stop();
}
