/**
 * Page clicks from Pub/Sub, counted per page in fixed event-time windows, published to another topic.
 * Clicks are JSON messages `{"user", "page", "ts"}` whose event time is their `ts` attribute (ms) and
 * whose `id` attribute is unique (a message published twice is counted once); a message that is not
 * such JSON goes to dead-letter files with its message id and why. Every count is a JSON message
 * `{"page", "window", "clicks"}` with attributes `page` and `window`.
 *
 *   npx tsx scripts/services.ts pubsub                  # the emulator; prints PUBSUB_EMULATOR_HOST=…
 *   export PUBSUB_EMULATOR_HOST=127.0.0.1:PORT
 *   npx tsx examples/pubsub-feed.ts --clicks=2000       # makes the topics and subscriptions, publishes clicks
 *   npx beamline run examples/pubsub-clicks.ts --max=2000 --checkpoint-dir=/tmp/pubsub-clicks
 *   npx tsx examples/pubsub-feed.ts --counts            # prints the counts published so far
 *
 * Pub/Sub delivers out of order, so the watermark trails the latest click's event time by
 * `--out-of-orderness` (1m); a window's count is published once the watermark passes its end (with
 * `--max`, every window's when the last message is read). Without `--max` the run reads until Ctrl-C,
 * which stops it with a final checkpoint; `--resume` continues from there. With checkpoints a click is
 * acknowledged only once the checkpoint holding its count completes, so a killed run resumed loses
 * none; counts are published at least once (a window published again after a crash repeats its
 * message, attributes and all).
 *
 * This is written for the local runners (direct, and the portable ones): `--runner=dataflow` refuses it
 * as it stands (its `maxOutOfOrderness`, its dead letters with `timestampAttribute`, and its dead-letter
 * files, which a streaming job never commits); README's "Google Cloud Dataflow" says what to change.
 */
import { count, definePipeline, fixedWindows, formatTimestamp, groupBy, map, option, readPubSub, schema, t, windowInto, writeJsonLines, writePubSub } from "beamline";

/** A click's JSON message. */
export const Click = schema({ user: t.string(), page: t.string(), ts: t.float64() });

/** One window's count for a page, as published. */
export interface PageCount {
  readonly page: string;
  readonly window: string;
  readonly clicks: number;
}

export default definePipeline({
  description: "Counts page clicks from a Pub/Sub subscription per page in fixed event-time windows, into a Pub/Sub topic.",
  options: {
    pubsubProject: option.string("the Google Cloud project of the topics and subscription (any name on the emulator)", { default: "beamline-demo" }),
    subscription: option.string("the subscription of clicks", { default: "clicks-beamline" }),
    topic: option.string("the topic of counts", { default: "click-counts" }),
    deadLetters: option.string("path prefix of the files of messages that are not clicks", { default: "out/pubsub-dead-letters" }),
    window: option.string("event-time window size", { default: "10s" }),
    outOfOrderness: option.string("how late (in event time) a click may come and still count: Pub/Sub does not keep publish order", { default: "1m" }),
    max: option.integer("stop after this many messages (0: read until Ctrl-C)", { default: 0, min: 0 }),
  },
  build(p, o) {
    const clicks = p.apply(
      "ReadClicks",
      readPubSub({
        subscription: `projects/${o.pubsubProject}/subscriptions/${o.subscription}`,
        format: "json",
        schema: Click,
        timestampAttribute: "ts",
        idAttribute: "id",
        maxOutOfOrderness: o.outOfOrderness,
        deadLetter: true,
        ...(o.max > 0 ? { maxMessages: o.max } : {}),
      }),
    );
    clicks.main
      .apply("Windows", windowInto(fixedWindows(o.window)))
      .apply("CountPerPage", groupBy("page").aggregate({ clicks: count() }))
      .apply("WithWindow", map((row: { page: string; clicks: number }, ctx): PageCount => ({ page: row.page, window: formatTimestamp(ctx.window.start), clicks: row.clicks })))
      .apply("PublishCounts", writePubSub<PageCount>({ topic: `projects/${o.pubsubProject}/topics/${o.topic}`, attributes: (c) => ({ page: c.page, window: c.window }) }));
    clicks.deadLetter.apply("WriteDeadLetters", writeJsonLines(o.deadLetters));
  },
});
