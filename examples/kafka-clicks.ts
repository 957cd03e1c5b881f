/**
 * Page clicks from Kafka, counted per page in fixed event-time windows, written to Kafka exactly once.
 * Clicks are JSON records `{"user", "page", "ts"}` (ts: event time in ms); a record that is not such
 * JSON goes to a dead-letter topic with where it came from and why. Every count record is keyed by its
 * page and says its window: `{"page", "window", "clicks"}`.
 *
 *   npx tsx scripts/services.ts kafka                       # a broker; prints its bootstrap servers
 *   npx tsx examples/kafka-feed.ts --brokers=127.0.0.1:PORT  # creates the topics and feeds clicks
 *   npx beamline run examples/kafka-clicks.ts --brokers=127.0.0.1:PORT --checkpoint-dir=/tmp/clicks
 *
 * The run reads until Ctrl-C, which stops it with a final checkpoint and commit; `--resume` continues
 * from there. `--bounded` reads up to the end offsets seen at start, then finishes.
 */
import { count, definePipeline, fixedWindows, formatTimestamp, groupBy, map, option, readKafka, schema, t, windowInto, writeKafka } from "beamline";

/** A click's JSON value. */
export const Click = schema({ user: t.string(), page: t.string(), ts: t.float64() });

export default definePipeline({
  description: "Counts page clicks from a Kafka topic per page in fixed event-time windows, into another topic, exactly once.",
  options: {
    brokers: option.string("Kafka bootstrap servers, host:port", { default: "127.0.0.1:9092" }),
    input: option.string("the topic of clicks", { default: "clicks" }),
    output: option.string("the topic of counts", { default: "click-counts" }),
    deadLetters: option.string("the topic of records that are not clicks", { default: "clicks-dead-letters" }),
    window: option.string("event-time window size", { default: "10s" }),
    semantics: option.string("exactly-once or at-least-once", { default: "exactly-once" }),
    bounded: option.boolean("read to the end offsets seen at start, then finish", { default: false }),
  },
  build(p, o) {
    const semantics = o.semantics === "at-least-once" ? "at-least-once" : "exactly-once";
    const clicks = p.apply(
      "ReadClicks",
      readKafka({
        brokers: o.brokers,
        topics: [o.input],
        format: "json",
        schema: Click,
        startOffset: "earliest",
        eventTime: "ts",
        idleTimeout: "2s",
        deadLetter: true,
        groupId: "beamline-kafka-clicks",
        ...(o.bounded ? { stopAt: "end" as const } : {}),
      }),
    );
    clicks.main
      .apply("Windows", windowInto(fixedWindows(o.window)))
      .apply("CountPerPage", groupBy("page").aggregate({ clicks: count() }))
      .apply("WithWindow", map((row: { page: string; clicks: number }, ctx) => ({ page: row.page, window: formatTimestamp(ctx.window.start), clicks: row.clicks })))
      .apply("WriteCounts", writeKafka({ brokers: o.brokers, topic: o.output, key: "page", semantics }));
    clicks.deadLetter.apply("WriteDeadLetters", writeKafka({ brokers: o.brokers, topic: o.deadLetters, semantics }));
  },
});
