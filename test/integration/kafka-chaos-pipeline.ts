/**
 * The Kafka pipeline of the chaos suite: clicks read from a topic of three partitions up to its end
 * offsets, counted per page in ten-second event-time windows (keyed state per page and window), the
 * counts written as JSON lines to files.
 */
import { count, definePipeline, fixedWindows, formatTimestamp, groupBy, option, readKafka, windowInto, writeText } from "beamline";
import { Click } from "../../examples/kafka-clicks";

export default definePipeline({
  options: {
    brokers: option.string("Kafka bootstrap servers", { default: "127.0.0.1:9092" }),
    input: option.string("the topic of clicks", { default: "clicks" }),
    output: option.string("output prefix", { default: "out/click-counts" }),
  },
  build(p, o) {
    p.apply("ReadClicks", readKafka({ brokers: o.brokers, topics: [o.input], format: "json", schema: Click, startOffset: "earliest", eventTime: "ts", stopAt: "end", maxWaitMs: 100 }))
      .apply("Windows", windowInto(fixedWindows("10s")))
      .apply("CountPerPage", groupBy("page").aggregate({ clicks: count() }))
      .map((row: Record<string, unknown>, { window }) => JSON.stringify({ page: row.page, window: formatTimestamp(window.start), clicks: row.clicks }), { name: "Json" })
      .apply("WriteCounts", writeText(o.output, { numShards: 2 }));
  },
});
