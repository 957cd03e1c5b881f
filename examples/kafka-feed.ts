/**
 * Feeds the kafka-clicks example: creates its topics (clicks with 3 partitions, counts and dead letters
 * with 2) when missing and produces clicks keyed by user, with event times `ts` spread over the last
 * minutes, and a few records that are not JSON (they reach the dead-letter topic).
 *
 *   npx tsx examples/kafka-feed.ts --brokers=127.0.0.1:PORT [--clicks=100000] [--bad=10] [--seed=1]
 */
import { Kafka, logLevel, Partitioners } from "kafkajs";

/** Click `i` of a feed: a user of 500 visiting one of 20 pages, event time `start + i * spacing` ms. */
export function click(i: number, start: number, spacingMs: number): { user: string; page: string; ts: number } {
  return { user: `user${(i * 7919) % 500}`, page: `/page/${(i * 31) % 20}`, ts: start + i * spacingMs };
}

/** What a feed writes. */
export interface FeedOptions {
  readonly brokers: string;
  readonly clicks: number;
  /** Records that are not JSON, spread through the feed. */
  readonly bad: number;
  readonly input?: string;
  readonly output?: string;
  readonly deadLetters?: string;
  /** Event time of the first click (ms). */
  readonly start: number;
  /** Event time between clicks (ms). */
  readonly spacingMs: number;
}

/** Creates the topics (when missing) and produces the feed. */
export async function feed(o: FeedOptions): Promise<void> {
  const kafka = new Kafka({ clientId: "kafka-feed", brokers: o.brokers.split(","), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [
      { topic: o.input ?? "clicks", numPartitions: 3 },
      { topic: o.output ?? "click-counts", numPartitions: 2 },
      { topic: o.deadLetters ?? "clicks-dead-letters", numPartitions: 2 },
    ].filter((t) => !existing.has(t.topic));
    if (topics.length > 0) await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    const every = o.bad > 0 ? Math.max(1, Math.floor(o.clicks / o.bad)) : Infinity;
    for (let lo = 0; lo < o.clicks; lo += 5000) {
      const messages = [];
      for (let i = lo; i < Math.min(o.clicks, lo + 5000); i++) {
        const c = click(i, o.start, o.spacingMs);
        messages.push({ key: c.user, value: JSON.stringify(c) });
        if (i % every === every - 1) messages.push({ key: "bad", value: `not json ${i}` });
      }
      await producer.send({ topic: o.input ?? "clicks", acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

if (require.main === module) {
  const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const clicks = Number(arg("clicks", "100000"));
  feed({ brokers: arg("brokers", "127.0.0.1:9092"), clicks, bad: Number(arg("bad", "10")), start: Date.now() - clicks * 10, spacingMs: 10 })
    .then(() => process.stderr.write(`fed ${clicks} clicks\n`))
    .catch((e) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
