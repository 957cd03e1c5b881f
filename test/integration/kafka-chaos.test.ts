/**
 * The chaos suite on Kafka: a pipeline reading clicks from a real broker's topic (three partitions, up
 * to the end offsets) and counting them per page and event-time window runs at parallelism 1 and 2
 * under eight seeded faults apiece (16 in all) through `expectSameOutputUnderFaults`, and ends with
 * the output of a run without faults each time; every fault fires, partitions read late and reads of
 * partitions that fail among them.
 */
import * as path from "node:path";
import { expectSameOutputUnderFaults } from "beamline";
import { feed } from "../../examples/kafka-feed";
import { describeWithKafka } from "./services";

const FILE = path.join(__dirname, "kafka-chaos-pipeline.ts");
const FAULTS = 8;

describeWithKafka("the chaos suite on Kafka", (broker) => {
  const input = `chaos-clicks-${process.pid}`;
  beforeAll(async () => {
    await feed({ brokers: broker().bootstrapServers, clicks: 20_000, bad: 0, input, output: `${input}-counts`, deadLetters: `${input}-dead`, start: 0, spacingMs: 5 });
  }, 60_000);

  test.each([1, 2])("windowed click counts from Kafka at parallelism %i: the same output under seeded faults", async (parallelism) => {
    const r = await expectSameOutputUnderFaults(FILE, { seed: 300 + parallelism, faults: FAULTS, options: { brokers: broker().bootstrapServers, input, parallelism } });
    expect(r.fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(r.planned.map((f) => f.id));
    for (const f of r.fired) expect(r.log.some((l) => l.startsWith(`beamline: injected fault #${f.id} fires: `))).toBe(true);
    expect(r.fired.map((f) => f.kind)).toEqual(expect.arrayContaining(["read-failure", "part-delay"]));
    expect(r.lines).toBe(20 * 10); // 20 pages, 100 s of clicks in ten-second windows
  }, 150_000);
});
