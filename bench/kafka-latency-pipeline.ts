/**
 * The pipeline of the Kafka latency case (see kafka-latency.ts): an unbounded `readKafka` of the input
 * topic → a light per-record map (the value prefixed with `out `) → `writeKafka` keyed by `key`,
 * exactly-once or at-least-once, one sink shard per instance. A module of its own, with no side
 * effects, because worker threads load it again.
 */
import { map, readKafka, writeKafka } from "../index";
import { definePipeline } from "../sdk/definition";
import { kafkaToKafkaPipeline } from "./kafka-to-kafka";

/** readKafka (until stopped) → prefix each value → writeKafka; the options of the Kafka → Kafka case. */
export const kafkaLatencyPipeline = definePipeline({
  options: kafkaToKafkaPipeline.options,
  build(p, { brokers, input, output, semantics, shards }) {
    p.apply("Read", readKafka({ brokers, topics: [input] }))
      .apply("Tag", map((r: { key: string | Uint8Array | null; value: string | null }) => ({ key: r.key, value: `out ${r.value}` })))
      .apply("Write", writeKafka({ brokers, topic: output, key: "key", value: "value", semantics: semantics as "exactly-once" | "at-least-once", shards, transactionalIdPrefix: `latency-${output}` }));
  },
});
