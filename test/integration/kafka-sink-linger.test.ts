/**
 * writeKafka's linger on a real broker: an at-least-once writer whose buffer never fills sends what it
 * holds once the oldest record waited `lingerMs`, without a barrier; with a long linger it holds it
 * until the barrier; exactly-once, records wait for the barrier whatever the linger, and the committer
 * commits them as before.
 */
import { Kafka, logLevel } from "kafkajs";
import { rowsToRecordBatch, schema, t } from "beamline";
import { globalBatch } from "../../sdk/batch";
import { KafkaSink } from "../../transforms/io/kafka/sink/kafka-sink";
import { checkWriteKafkaOptions } from "../../transforms/io/kafka/sink/options";
import { consoleConsume } from "./kafka-tools";
import { describeWithKafka } from "./services";

describeWithKafka("writeKafka's linger on a real broker", (broker) => {
  const kafka = () => new Kafka({ brokers: [broker().bootstrapServers], logLevel: logLevel.NOTHING });
  const rows = schema({ id: t.string() });
  const batch = globalBatch(rowsToRecordBatch([{ id: "a" }, { id: "b" }], rows.arrow, "test"));

  /** The records partition 0 of `topic` holds for readers (kafkajs's offsets: read_committed, no transactions here), polled every 20 ms until `n` or `withinMs`; with the time it took. */
  async function readable(topic: string, n: number, withinMs: number): Promise<{ records: number; ms: number }> {
    const admin = kafka().admin();
    await admin.connect();
    const started = Date.now();
    try {
      for (;;) {
        const [p] = await admin.fetchTopicOffsets(topic);
        const records = Number(p.high);
        if (records >= n || Date.now() - started > withinMs) return { records, ms: Date.now() - started };
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** The keys of the first `n` records of `topic`, read read_uncommitted (records of open transactions too) within `withinMs`. */
  async function readUncommitted(topic: string, n: number, withinMs: number, group = "uncommitted"): Promise<string[]> {
    const consumer = kafka().consumer({ groupId: `${group}-${topic}`, readUncommitted: true });
    const keys: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let done = () => {};
      const got = new Promise<void>((r) => (done = r));
      await consumer.run({
        eachMessage: async ({ message }) => {
          keys.push(message.key?.toString() ?? "");
          if (keys.length >= n) done();
        },
      });
      await Promise.race([got, new Promise((r) => (timer = setTimeout(r, withinMs)))]);
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    return keys;
  }

  async function createTopic(topic: string): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  test("at-least-once, a buffer far from full and no barrier: the records are readable within a second (default linger)", async () => {
    const topic = "linger-default";
    await createTopic(topic);
    const writer = await new KafkaSink(checkWriteKafkaOptions({ brokers: broker().bootstrapServers, topic, semantics: "at-least-once", key: "id" })).createWriter({ index: 0, count: 1 });
    await writer.write(batch);
    const seen = await readable(topic, 2, 3000);
    expect(seen.records).toBe(2);
    expect(seen.ms).toBeLessThan(1000);
    await writer.prepareCommit(1);
    expect(consoleConsume(broker().bootstrapServers, topic, 3000).map((r) => r.key).sort()).toEqual(["a", "b"]);
  }, 60_000);

  test("with lingerMs 60000 the records wait for the barrier", async () => {
    const topic = "linger-long";
    await createTopic(topic);
    const writer = await new KafkaSink(checkWriteKafkaOptions({ brokers: broker().bootstrapServers, topic, semantics: "at-least-once", key: "id", lingerMs: 60_000 })).createWriter({ index: 0, count: 1 });
    await writer.write(batch);
    expect((await readable(topic, 2, 1500)).records).toBe(0);
    await writer.prepareCommit(1);
    expect((await readable(topic, 2, 3000)).records).toBe(2);
  }, 60_000);

  test("exactly-once, records wait for the barrier whatever the linger (a transaction stays short on the broker); read_committed sees them after the commit", async () => {
    const topic = "linger-transaction";
    await createTopic(topic);
    const sink = new KafkaSink(checkWriteKafkaOptions({ brokers: broker().bootstrapServers, topic, semantics: "exactly-once", key: "id", transactionalIdPrefix: "linger", lingerMs: 1 }));
    const writer = await sink.createWriter({ index: 0, count: 1 });
    await writer.write(batch);
    // Many lingers later, nothing is in the log yet (read_uncommitted reads records of open transactions too).
    await new Promise((r) => setTimeout(r, 500));
    expect(await readUncommitted(topic, 2, 2000, "before")).toEqual([]);
    const prepared = await writer.prepareCommit(1);
    expect(prepared).toMatchObject([{ records: 2, transactionalId: "linger-0-1" }]);
    expect((await readUncommitted(topic, 2, 20_000, "prepared")).sort()).toEqual(["a", "b"]);
    await sink.committer.commit(prepared);
    expect(consoleConsume(broker().bootstrapServers, topic, 3000).map((r) => r.key).sort()).toEqual(["a", "b"]);
  }, 60_000);
});
