/**
 * The Kafka pipeline of the chaos suite: clicks read from a topic of three partitions up to its end
 * offsets, counted per page in ten-second event-time windows (keyed state per page and window), the
 * counts written as JSON lines to files, or to a Kafka topic in exactly-once transactions.
 */
import { count, definePipeline, fixedWindows, formatTimestamp, groupBy, map, option, readKafka, windowInto, writeKafka, writeText } from "beamline";
import { Click } from "../../examples/kafka-clicks";

export default definePipeline({
  options: {
    brokers: option.string("Kafka bootstrap servers", { default: "127.0.0.1:9092" }),
    input: option.string("the topic of clicks", { default: "clicks" }),
    output: option.string("output prefix, or with --to-kafka the topic of counts", { default: "out/click-counts" }),
    toKafka: option.boolean("write the counts to the Kafka topic --output, exactly once", { default: false }),
  },
  build(p, o) {
    const counts = p
      .apply("ReadClicks", readKafka({ brokers: o.brokers, topics: [o.input], format: "json", schema: Click, startOffset: "earliest", eventTime: "ts", stopAt: "end", maxWaitMs: 100 }))
      .apply("Windows", windowInto(fixedWindows("10s")))
      .apply("CountPerPage", groupBy("page").aggregate({ clicks: count() }))
      .apply("WithWindow", map((row: { page: string; clicks: number }, { window }) => ({ page: row.page, window: formatTimestamp(window.start), clicks: row.clicks })));
    if (o.toKafka) counts.apply("WriteCounts", writeKafka({ brokers: o.brokers, topic: o.output, key: "page", semantics: "exactly-once" }));
    else counts.map((row) => JSON.stringify(row), { name: "Json" }).apply("WriteCounts", writeText(o.output, { numShards: 2 }));
  },
});
