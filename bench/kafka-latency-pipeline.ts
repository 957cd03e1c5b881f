/**
 * The pipeline of the Kafka latency case (see kafka-latency.ts): an unbounded `readKafka` of the input
 * topic → a light per-record map (the value prefixed with `out `) → optionally a keyed step (a count
 * per key in a value state, appended to the value: rows move between threads by key at parallelism 2,
 * so each instance aligns barriers from both) → `writeKafka` keyed by `key`, exactly-once or
 * at-least-once, one sink shard per instance. A module of its own, with no side effects, because
 * worker threads load it again.
 */
import { map, parDo, readKafka, state, writeKafka, type KV } from "../index";
import { definePipeline } from "../sdk/definition";
import { option } from "../sdk/options";
import { kafkaToKafkaPipeline } from "./kafka-to-kafka";

/** readKafka (until stopped) → prefix each value → [count per key] → writeKafka; the options of the Kafka → Kafka case and `keyed`. */
export const kafkaLatencyPipeline = definePipeline({
  options: { ...kafkaToKafkaPipeline.options, keyed: option.boolean("count per key in state before the sink (rows change threads by key)", { default: false }) },
  build(p, { brokers, input, output, semantics, shards, keyed }) {
    const tagged = p.apply("Read", readKafka({ brokers, topics: [input] }))
      .apply("Tag", map((r: { key: string | Uint8Array | null; value: string | null }) => ({ key: typeof r.key === "string" ? r.key : Buffer.from(r.key ?? []).toString("utf8"), value: `out ${r.value}` })));
    const counted = !keyed ? tagged : tagged.apply("CountPerKey", parDo({
      state: { seen: state.value<number>() },
      process(r: KV<string, string>, ctx) {
        const n = (ctx.state.seen.read() ?? 0) + 1;
        ctx.state.seen.write(n);
        ctx.output({ key: r.key, value: `${r.value} ${n}` });
      },
    }));
    counted.apply("Write", writeKafka({ brokers, topic: output, key: "key", value: "value", semantics: semantics as "exactly-once" | "at-least-once", shards, transactionalIdPrefix: `latency-${output}` }));
  },
});
