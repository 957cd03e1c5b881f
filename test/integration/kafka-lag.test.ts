/**
 * readKafka reports each partition's lag through the source backlog hook: after every chunk, the
 * records between its position and the partition's end offset (from the fetch's response), so the
 * runner serves Kafka lag as `beamline_source_backlog_records`.
 */
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { Pipeline, readKafka, type BoundedSource, type ReadContext } from "beamline";
import { describeWithKafka } from "./services";

describeWithKafka("readKafka reports its lag", (broker) => {
  test("the reported lag equals the end offset minus the position, before and after more records are produced", async () => {
    const brokers = broker().bootstrapServers;
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    const produce = async (from: number, n: number) => {
      // 250 records per send: one record batch each, and one fetch of 1 kB returns one batch.
      for (let at = from; at < from + n; at += 250) await producer.send({ topic: "lag", messages: Array.from({ length: 250 }, (_, i) => ({ partition: 0, value: `v${at + i}` })) });
    };
    try {
      await admin.createTopics({ topics: [{ topic: "lag", numPartitions: 1 }], waitForLeaders: true });
      await produce(0, 2000);
      const p = new Pipeline();
      p.apply("Lag", readKafka({ brokers, topics: ["lag"], maxBytesPerPartition: 1024, maxWaitMs: 100 }));
      const source = p.fn<BoundedSource>("Lag");
      let reported: { partition: string; records?: number } | null = null;
      const ctx: ReadContext = { processingTime: () => Date.now(), sleep: async () => true, cancelled: false, reportBacklog: (partition, backlog) => (reported = { partition, ...backlog }) };
      const [part] = await source.split(1);
      let end = 2000;
      let stale = false;
      const seen: [number, number][] = [];
      const deadline = Date.now() + 20_000;
      for await (const chunk of source.read(part, null, ctx)) {
        const next = (chunk.position as { next?: number } | undefined)?.next;
        if (next === undefined || !("batch" in chunk)) continue;
        // The chunk after the produce may come from a fetch made before it (one fetch runs ahead).
        if (!stale) {
          expect(reported).toEqual({ partition: "lag/0", records: end - next });
          seen.push([next, end - next]);
        }
        stale = false;
        if (next === 1000) {
          await produce(2000, 500);
          end = 2500;
          stale = true;
        }
        if (next === 2500 || Date.now() > deadline) break;
      }
      expect(seen[seen.length - 1]).toEqual([2500, 0]);
      // Several reports along the way, with records still to read.
      expect(seen.filter(([, lag]) => lag > 0).length).toBeGreaterThanOrEqual(6);
      expect(seen.some(([next, lag]) => next > 1250 && lag === 2500 - next)).toBe(true);
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  }, 60_000);
});
