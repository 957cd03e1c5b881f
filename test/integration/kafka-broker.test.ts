/**
 * The bundled Kafka broker is a real one: kafkajs creates a partitioned topic on it, produces keyed
 * records and reads them back through a consumer group, and its transactions hide aborted records from
 * read_committed consumers. Also: a start that cannot finish in time fails with the broker's log, and
 * stopping the broker ends its process and removes its data.
 */
import * as fs from "node:fs";
import { Consumer, Kafka, KafkaMessage, logLevel, Partitioners } from "kafkajs";
import { ProvisioningError } from "../../runners/portable/provision/cache";
import { startKafka } from "../../runners/services/kafka/kafka";
import { describeWithKafka } from "./services";

/** How long a consumer may take to read what a test expects. */
const READ_TIMEOUT = 20_000;

/** Runs `consumer` over `topic` from the beginning until `done` holds for what it read; bounded. */
async function consumeUntil(
  consumer: Consumer,
  topic: string,
  done: (read: { partition: number; message: KafkaMessage }[]) => boolean,
): Promise<{ partition: number; message: KafkaMessage }[]> {
  const read: { partition: number; message: KafkaMessage }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${read.length} records of ${topic} within ${READ_TIMEOUT / 1000} s, not all expected`)), READ_TIMEOUT);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            read.push({ partition, message });
            if (done(read)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

describeWithKafka("a one-node Kafka broker", (broker) => {
  const client = () =>
    new Kafka({
      clientId: "beamline-test",
      brokers: [broker().bootstrapServers],
      logLevel: logLevel.NOTHING,
      // The broker answers a transaction right after another with CONCURRENT_TRANSACTIONS while it writes
      // markers; a short first retry keeps each transaction near 40 ms instead of 300.
      retry: { initialRetryTime: 30, retries: 8 },
    });
  const consumerOf = (kafka: Kafka, groupId: string, readUncommitted: boolean) =>
    kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1_000 });

  test("a topic of three partitions: 1,000 keyed records produced and read back by a group", async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: "keyed", numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const [meta] = (await admin.fetchTopicMetadata({ topics: ["keyed"] })).topics;
      expect(meta.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `page-${i % 37}`, value: String(i) }));
      for (let i = 0; i < messages.length; i += 250) await producer.send({ topic: "keyed", acks: -1, messages: messages.slice(i, i + 250) });
    } finally {
      await producer.disconnect();
    }

    const read = await consumeUntil(consumerOf(kafka, "keyed-readers", false), "keyed", (r) => r.length >= 1000);
    const values = read.map((r) => Number(r.message.value!.toString())).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Each key lives in one partition (Kafka's default partitioner), and the keys spread over all three.
    const partitionOfKey = new Map<string, Set<number>>();
    for (const r of read) {
      const key = r.message.key!.toString();
      expect(Number(r.message.value!.toString()) % 37).toBe(Number(key.slice("page-".length)));
      partitionOfKey.set(key, (partitionOfKey.get(key) ?? new Set()).add(r.partition));
    }
    expect(partitionOfKey.size).toBe(37);
    expect([...partitionOfKey.values()].every((p) => p.size === 1)).toBe(true);
    expect(new Set(read.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
  }, 60_000);

  test("an aborted transaction is invisible to read_committed consumers and a committed one is visible", async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "transactional", numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: "beamline-test-writer",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      // The transactional id is claimed at the first transaction, not at connect: open and abort one.
      await (await producer.transaction()).abort();
      const aborted = await producer.transaction();
      await aborted.send({ topic: "transactional", messages: ["aborted-1", "aborted-2", "aborted-3"].map((value) => ({ value })) });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: "transactional", messages: ["committed-1", "committed-2"].map((value) => ({ value })) });
      await committed.commit();
    } finally {
      await producer.disconnect();
    }

    const committedOnly = await consumeUntil(consumerOf(kafka, "committed-readers", false), "transactional", (r) =>
      r.some((m) => m.message.value!.toString() === "committed-2"),
    );
    expect(committedOnly.map((r) => r.message.value!.toString())).toEqual(["committed-1", "committed-2"]);
    // The aborted records are in the log: a read_uncommitted consumer sees them before the committed ones.
    const everything = await consumeUntil(consumerOf(kafka, "uncommitted-readers", true), "transactional", (r) =>
      r.some((m) => m.message.value!.toString() === "committed-2"),
    );
    expect(everything.map((r) => r.message.value!.toString())).toEqual(["aborted-1", "aborted-2", "aborted-3", "committed-1", "committed-2"]);
  }, 60_000);

  test("a start that does not finish in time fails naming the broker, with its log", async () => {
    const failure = await startKafka({ timeoutMs: 1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProvisioningError);
    expect((failure as ProvisioningError).code).toBe("BL_SERVICE_START");
    expect((failure as ProvisioningError).value).toBe("kafka");
    expect((failure as ProvisioningError).rule).toMatch(/did not log "Kafka Server started" within 0 s/);
  }, 60_000);

  test("a broker killed and restarted keeps its topics and records, and serves clients again", async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "survives", numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "survives", acks: -1, messages: [{ key: "a", value: "before-1" }, { key: "b", value: "before-2" }] });
    await producer.disconnect();
    const before = broker().service.child.pid;
    await broker().restart({ kill: true, downMs: 200 });
    expect(broker().service.child.pid).not.toBe(before);
    const again = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await again.connect();
    await again.send({ topic: "survives", acks: -1, messages: [{ key: "c", value: "after-1" }] });
    await again.disconnect();
    const read = await consumeUntil(consumerOf(kafka, "after-restart", false), "survives", (r) => r.length >= 3);
    expect(read.map((r) => r.message.value!.toString()).sort()).toEqual(["after-1", "before-1", "before-2"]);
  }, 90_000);

  // Last: it stops the suite's broker (the suite's own stop afterwards does nothing).
  test("stopping ends the broker's process and removes its data", async () => {
    const { service, dir } = broker();
    expect(fs.existsSync(dir)).toBe(true);
    await broker().stop();
    expect(service.child.exitCode !== null || service.child.signalCode !== null).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);
  }, 30_000);
});
