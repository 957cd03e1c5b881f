/**
 * Feeds the pubsub-clicks example and shows what it published: makes its topics (`clicks`,
 * `click-counts`) and subscriptions (`clicks-beamline` for the pipeline, `click-counts-watch` for
 * `--counts`) when missing, and publishes clicks in event-time order with attributes `ts` (event time,
 * ms) and `id`, a few of them twice (the pipeline counts them once), and a few messages that are not
 * JSON (they reach the dead-letter files). `--counts` prints the counts published so far, one JSON
 * line each, acknowledging them. Needs `PUBSUB_EMULATOR_HOST` (or Application Default Credentials).
 *
 *   npx tsx examples/pubsub-feed.ts [--clicks=2000] [--bad=4] [--duplicates=3] [--project=beamline-demo]
 *   npx tsx examples/pubsub-feed.ts --counts
 */
import type { PubSub } from "@google-cloud/pubsub";
import { click } from "./kafka-feed";
import type { PageCount } from "./pubsub-clicks";

/** What a feed publishes. */
export interface PubSubFeedOptions {
  readonly project: string;
  readonly clicks: number;
  /** Messages that are not JSON, spread through the feed. */
  readonly bad: number;
  /** Clicks published a second time with the same `id`, spread through the feed. */
  readonly duplicates: number;
  /** Event time of the first click (ms). */
  readonly start: number;
  /** Event time between clicks (ms). */
  readonly spacingMs: number;
}

/** The names the example uses. */
export const FEED_NAMES = { clicks: "clicks", subscription: "clicks-beamline", counts: "click-counts", watch: "click-counts-watch" } as const;

async function client(project: string): Promise<PubSub> {
  const { PubSub: Client } = await import("@google-cloud/pubsub");
  return new Client({ projectId: project });
}

/** Makes a topic and a subscription on it, each unless it exists. */
async function ensure(pubsub: PubSub, topic: string, subscription: string): Promise<void> {
  const [exists] = await pubsub.topic(topic).exists();
  if (!exists) await pubsub.createTopic(topic);
  const [subExists] = await pubsub.subscription(subscription).exists();
  if (!subExists) await pubsub.topic(topic).createSubscription(subscription, { ackDeadlineSeconds: 30 });
}

/** Makes the topics and subscriptions (when missing) and publishes the feed, in event-time order. */
export async function feedPubSub(o: PubSubFeedOptions): Promise<void> {
  const pubsub = await client(o.project);
  try {
    await ensure(pubsub, FEED_NAMES.clicks, FEED_NAMES.subscription);
    await ensure(pubsub, FEED_NAMES.counts, FEED_NAMES.watch);
    const topic = pubsub.topic(FEED_NAMES.clicks);
    const badEvery = o.bad > 0 ? Math.max(1, Math.floor(o.clicks / o.bad)) : Infinity;
    const twiceEvery = o.duplicates > 0 ? Math.max(1, Math.floor(o.clicks / o.duplicates)) : Infinity;
    for (let lo = 0; lo < o.clicks; lo += 500) {
      // A chunk at a time, so that the messages reach Pub/Sub in the order of their event times.
      const sends: Promise<string>[] = [];
      for (let i = lo; i < Math.min(o.clicks, lo + 500); i++) {
        const c = click(i, o.start, o.spacingMs);
        const message = { data: Buffer.from(JSON.stringify(c)), attributes: { ts: String(c.ts), id: `click-${i}` } };
        sends.push(topic.publishMessage(message));
        if (i % twiceEvery === twiceEvery - 1) sends.push(topic.publishMessage(message));
        if (i % badEvery === badEvery - 1) sends.push(topic.publishMessage({ data: Buffer.from(`not json ${i}`), attributes: { ts: String(c.ts), id: `bad-${i}` } }));
      }
      await Promise.all(sends);
    }
  } finally {
    await pubsub.close();
  }
}

/** The counts published to `click-counts` so far (read from `click-counts-watch` and acknowledged), once `quietMs` pass with none arriving. */
export async function publishedCounts(project: string, quietMs = 2000, timeoutMs = 60_000): Promise<(PageCount & { attributes: Record<string, string> })[]> {
  const pubsub = await client(project);
  const subscription = pubsub.subscription(FEED_NAMES.watch);
  const counts: (PageCount & { attributes: Record<string, string> })[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`counts kept arriving for ${timeoutMs} ms`)), timeoutMs);
      let quiet = setTimeout(done, quietMs);
      function done(): void {
        clearTimeout(deadline);
        resolve();
      }
      subscription.on("error", (e) => {
        clearTimeout(deadline);
        clearTimeout(quiet);
        reject(e);
      });
      subscription.on("message", (m) => {
        counts.push({ ...(JSON.parse(m.data.toString()) as PageCount), attributes: { ...m.attributes } });
        m.ack();
        clearTimeout(quiet);
        quiet = setTimeout(done, quietMs);
      });
    });
  } finally {
    await subscription.close();
    await pubsub.close();
  }
  return counts.sort((a, b) => a.window.localeCompare(b.window) || a.page.localeCompare(b.page));
}

if (require.main === module) {
  const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const project = arg("project", "beamline-demo");
  const clicks = Number(arg("clicks", "2000"));
  const run = process.argv.includes("--counts")
    ? publishedCounts(project).then((counts) => {
        for (const c of counts) process.stdout.write(`${JSON.stringify({ page: c.page, window: c.window, clicks: c.clicks })}\n`);
        process.stderr.write(`${counts.length} counts\n`);
      })
    : feedPubSub({ project, clicks, bad: Number(arg("bad", "4")), duplicates: Number(arg("duplicates", "3")), start: Date.now() - clicks * 10, spacingMs: 10 }).then(() => process.stderr.write(`published ${clicks} clicks\n`));
  run.catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
