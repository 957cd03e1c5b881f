/**
 * Pipelines the Kafka source suite runs; worker threads load this module again, so it declares only
 * definitions (no tests).
 */
import { count, definePipeline, fixedWindows, groupBy, option, readKafka, windowInto, writeText } from "beamline";

/** Kafka topics to text files: one JSON line per record with its key, value, partition and offset. */
export const kafkaToFiles = definePipeline({
  options: {
    brokers: option.string("bootstrap servers", { default: "127.0.0.1:9092" }),
    topics: option.string("topic names, comma-separated; a /regexp/ between slashes", { default: "in" }),
    output: option.string("output prefix", { default: "out/kafka" }),
    bounded: option.boolean("stop at the end offsets seen at start", { default: true }),
    maxBytes: option.integer("bytes per partition per fetch", { default: 1 << 20 }),
    groupId: option.string("consumer group to commit offsets to", { default: "" }),
    discoveryMs: option.integer("partition discovery interval", { default: 10_000 }),
  },
  build(p, o) {
    const topics = o.topics.startsWith("/") ? new RegExp(o.topics.slice(1, -1)) : o.topics.split(",");
    p.apply(
      "Read",
      readKafka({
        brokers: o.brokers,
        topics,
        ...(o.bounded ? { stopAt: "end" as const } : {}),
        maxBytesPerPartition: o.maxBytes,
        maxWaitMs: 100,
        discoveryInterval: o.discoveryMs,
        ...(o.groupId ? { groupId: o.groupId } : {}),
      }),
    )
      .map((r) => JSON.stringify({ key: r.key, value: r.value, topic: r.topic, partition: r.partition, offset: r.offset }), { name: "Json" })
      .apply("Write", writeText(o.output, { numShards: 2 }));
  },
});

/** Counts per key and one-second window of records whose event time is their Kafka timestamp, written as JSON lines. */
export const windowedCounts = definePipeline({
  options: {
    brokers: option.string("bootstrap servers", { default: "127.0.0.1:9092" }),
    topic: option.string("topic", { default: "in" }),
    output: option.string("output prefix", { default: "out/windows" }),
    idleMs: option.integer("idle timeout (0: none)", { default: 0 }),
  },
  build(p, o) {
    p.apply("Read", readKafka({ brokers: o.brokers, topics: [o.topic], maxWaitMs: 100, ...(o.idleMs > 0 ? { idleTimeout: o.idleMs } : {}) }))
      .map((r) => ({ key: r.key ?? "" }), { name: "Keys" })
      .apply("PerSecond", windowInto(fixedWindows("1s")))
      .apply("Count", groupBy<{ key: string }>("key").aggregate({ n: count() }))
      .map((r: Record<string, unknown>, { window }) => JSON.stringify({ start: window.start, key: r.key, n: r.n }), { name: "Json" })
      .apply("Write", writeText(o.output));
  },
});
