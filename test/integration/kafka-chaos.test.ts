/**
 * The chaos suite on Kafka: a pipeline reading clicks from a real broker's topic (three partitions, up
 * to the end offsets) and counting them per page and event-time window runs at parallelism 1 and 2
 * under eight seeded faults apiece through `expectSameOutputUnderFaults`, and ends with the output of
 * a run without faults each time; every fault fires, partitions read late and reads of partitions that
 * fail among them. Written to a Kafka topic in exactly-once transactions instead (six faults apiece,
 * commits that fail and crashes as a transaction commits among them), what a read_committed consumer
 * reads is the same records as without faults: 28 faults in all.
 */
import * as path from "node:path";
import { expectSameOutputUnderFaults } from "beamline";
import { Kafka, logLevel } from "kafkajs";
import { feed } from "../../examples/kafka-feed";
import { consoleConsume } from "./kafka-tools";
import { describeWithKafka } from "./services";

const FILE = path.join(__dirname, "kafka-chaos-pipeline.ts");
const FAULTS = 8;

describeWithKafka("the chaos suite on Kafka", (broker) => {
  const input = `chaos-clicks-${process.pid}`;
  beforeAll(async () => {
    // Event times of the last minutes, from a ten-second boundary (ten windows): records stamped in
    // 1970 would be past the broker's time retention, and their segments deleted under the test.
    const start = Math.floor(Date.now() / 10_000) * 10_000 - 200_000;
    await feed({ brokers: broker().bootstrapServers, clicks: 20_000, bad: 0, input, output: `${input}-counts`, deadLetters: `${input}-dead`, start, spacingMs: 5 });
  }, 60_000);

  test.each([1, 2])("windowed click counts from Kafka at parallelism %i: the same output under seeded faults", async (parallelism) => {
    const r = await expectSameOutputUnderFaults(FILE, { seed: 300 + parallelism, faults: FAULTS, options: { brokers: broker().bootstrapServers, input, parallelism } });
    expect(r.fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(r.planned.map((f) => f.id));
    for (const f of r.fired) expect(r.log.some((l) => l.startsWith(`beamline: injected fault #${f.id} fires: `))).toBe(true);
    expect(r.fired.map((f) => f.kind)).toEqual(expect.arrayContaining(["read-failure", "part-delay"]));
    expect(r.lines).toBe(20 * 10); // 20 pages, 100 s of clicks in ten-second windows
  }, 150_000);

  test.each([1, 2])("the counts written to Kafka in exactly-once transactions at parallelism %i: the same records, read_committed, under seeded faults", async (parallelism) => {
    const output = {
      prepare: async (name: string) => {
        const topic = `${input}-counts-p${parallelism}-${name}`;
        const admin = new Kafka({ clientId: "kafka-chaos", brokers: [broker().bootstrapServers], logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }).finally(() => admin.disconnect());
        return topic;
      },
      read: (topic: string) => consoleConsume(broker().bootstrapServers, topic, 3000).map((r) => `${r.key} ${r.value}`),
    };
    const r = await expectSameOutputUnderFaults(FILE, { seed: 400 + parallelism, faults: 6, output, options: { brokers: broker().bootstrapServers, input, toKafka: true, parallelism } });
    expect(r.fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(r.planned.map((f) => f.id));
    expect(r.fired.map((f) => f.kind)).toEqual(expect.arrayContaining(["crash-in-sink-commit", "commit-failure"]));
    expect(r.lines).toBe(20 * 10);
  }, 150_000);
});
