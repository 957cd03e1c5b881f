/**
 * Records per second of a bounded Kafka read: `readKafka({ stopAt: "end" })` counting every record at
 * parallelism 1, against a plain kafkajs consumer group reading the same topic from the beginning
 * (kafkajs's own decoding is the limit of both). Starts the bundled broker, fills a topic with small
 * keyed records (default 1,000,000 over 3 partitions), and prints one JSON line per reader.
 *
 *   node --require ./runners/load/register.js bench/kafka-read.ts [--records=1000000] [--partitions=3] [--parallelism=1]
 */
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { collect, combineGlobally, count, DirectRunner, Pipeline, readKafka } from "../index";
import { startKafka } from "../runners/services/kafka/kafka";

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.slice(name.length + 3)) : fallback;
}

async function main(): Promise<void> {
  const records = arg("records", 1_000_000);
  const partitions = arg("partitions", 3);
  const parallelism = arg("parallelism", 1);
  const broker = await startKafka();
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "bench", numPartitions: partitions }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const t0 = Date.now();
    const chunk = 10_000;
    for (let at = 0; at < records; at += chunk) {
      await producer.send({ topic: "bench", messages: Array.from({ length: Math.min(chunk, records - at) }, (_, i) => ({ key: `k${(at + i) % 1000}`, value: `v${at + i}` })) });
    }
    await producer.disconnect();
    process.stderr.write(`produced ${records} records in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const p = new Pipeline();
    const total = collect(p.apply("Read", readKafka({ brokers: broker.bootstrapServers, topics: ["bench"], stopAt: "end" })).apply("Count", combineGlobally(count())));
    const t1 = process.hrtime.bigint();
    await new DirectRunner({ parallelism }).run(p);
    const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
    if (total.rows[0] !== records) throw new Error(`readKafka counted ${total.rows[0]} records, not ${records}`);
    console.log(JSON.stringify({ case: "kafka-read", impl: `beamline-direct-p${parallelism}`, records, partitions, seconds: +seconds.toFixed(3), recordsPerSec: Math.round(records / seconds) }));

    const consumer = kafka.consumer({ groupId: "bench-plain", maxBytesPerPartition: 1 << 20, maxBytes: 4 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: ["bench"], fromBeginning: true });
    let read = 0;
    const t2 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachBatchAutoResolve: true, eachBatch: async ({ batch }) => {
        read += batch.messages.length;
        if (read >= records) resolve();
      } }).catch(reject);
    });
    const plainSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
    await consumer.disconnect();
    console.log(JSON.stringify({ case: "kafka-read", impl: "kafkajs-consumer", records, partitions, seconds: +plainSeconds.toFixed(3), recordsPerSec: Math.round(records / plainSeconds) }));
    await admin.disconnect();
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
