/**
 * Exactly once on Kafka through in-process restarts: the chaos suite's pipeline (clicks from a topic,
 * counted per page and ten-second window, the counts written in Kafka transactions) restarts from its
 * latest checkpoint when the thread running it dies, in a run resumed after a kill -9 as seed 401's
 * faults have it, and as a checkpoint completes, before its transactions are committed. What a
 * read_committed consumer reads is every count once, with the count the clicks give.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { click, feed } from "../../examples/kafka-feed";
import { startCli } from "../runners/direct/checkpoint/children";
import { tempDir } from "../helpers";
import { consoleConsume } from "./kafka-tools";
import { describeWithKafka } from "./services";

const FILE = path.join(__dirname, "kafka-chaos-pipeline.ts");
const CLICKS = 20_000;

describeWithKafka("exactly once on Kafka through in-process restarts", (broker) => {
  const input = `restart-clicks-${process.pid}`;
  /** The counts the clicks give, as `page window count` lines, sorted. */
  let expected: string[] = [];
  beforeAll(async () => {
    const start = Math.floor(Date.now() / 10_000) * 10_000 - 200_000;
    await feed({ brokers: broker().bootstrapServers, clicks: CLICKS, bad: 0, input, output: `${input}-counts`, deadLetters: `${input}-dead`, start, spacingMs: 5 });
    const counts = new Map<string, number>();
    for (let i = 0; i < CLICKS; i++) {
      const c = click(i, start, 5);
      const key = `${c.page} ${new Date(Math.floor(c.ts / 10_000) * 10_000).toISOString()}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expected = [...counts].map(([key, n]) => `${key} ${n}`).sort();
  }, 60_000);

  /** A fresh topic of two partitions for a run's counts. */
  const outputTopic = async (name: string) => {
    const topic = `${input}-${name}`;
    const admin = new Kafka({ clientId: "kafka-restart", brokers: [broker().bootstrapServers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }).finally(() => admin.disconnect());
    return topic;
  };
  /** The counts a read_committed consumer reads in `topic`, as `page window count` lines, sorted. */
  const countsIn = (topic: string) =>
    consoleConsume(broker().bootstrapServers, topic, 3000)
      .map((r) => JSON.parse(r.value) as { page: string; window: string; clicks: number })
      .map((c) => `${c.page} ${c.window} ${c.clicks}`)
      .sort();
  /** `beamline run` of the pipeline writing to `topic`, checkpointed in `dir`, restarting in-process, under the faults `spec` arms. */
  const run = (topic: string, dir: string, spec: string, { resume = false, intervalMs = 50 } = {}) =>
    startCli(FILE, [`--brokers=${broker().bootstrapServers}`, `--input=${input}`, "--to-kafka=true", "--parallelism=1", `--output=${topic}`, `--checkpoint-dir=${dir}`,
      `--checkpoint-interval=${intervalMs}`, "--restart-strategy=fixed-delay", "--restart-delay=20", "--restart-attempts=3", ...(resume ? ["--resume"] : [])],
    { BEAMLINE_FAULT: spec, BEAMLINE_FAULT_LOG: fs.mkdtempSync(path.join(dir, "..", "fired-")) }).exit;

  test("killed at a barrier before it read anything, then resumed and its thread killed at the first batch: every count once", async () => {
    const topic = await outputTopic("resumed");
    const dir = path.join(tempDir(), "chk");
    // The first attempt's reads wait two seconds; its third barrier kills the process (a checkpoint completed before).
    const killed = await run(topic, dir, "1@part-read:1/delay:2000,2@barrier:3/crash");
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await run(topic, dir, "3@batch:1/thread", { resume: true });
    expect(resumed.err).toMatch(/beamline: restart 1 of 3 in 20 ms, from checkpoint \d+, after: \[BL_INJECTED_FAULT\]/);
    expect(resumed.code).toBe(0);
    expect(countsIn(topic)).toEqual(expected);
  }, 120_000);

  // Checkpoints every 20 ms; where the counts come among them depends on how fast the reads start.
  test.each([2, 4, 6])("its thread killed as checkpoint %i completes (before its sink commits), the run restarts from that checkpoint: every count once", async (k) => {
    const topic = await outputTopic(`after-${k}`);
    const dir = path.join(tempDir(), "chk");
    const r = await run(topic, dir, `checkpoint-complete:${k}/thread`, { intervalMs: 20 });
    expect(r.err).toMatch(/beamline: restart 1 of 3 in 20 ms, from checkpoint \d+, after: \[BL_INJECTED_FAULT\]/);
    expect(r.code).toBe(0);
    expect(countsIn(topic)).toEqual(expected);
  }, 120_000);
});
