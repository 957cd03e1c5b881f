/**
 * The Kafka sink's producer sends each partition's records to that partition's leader, one request per
 * leader at once. When one leader's request fails while another's is still in flight, the retry must
 * not send the in-flight partition's records again: they already took their sequence numbers, so the
 * broker would keep both copies. Two leaders are two connections to the one test broker, reported as
 * two node ids; one fails its first request, the other is slow.
 */
import { Kafka, logLevel } from "kafkajs";
import { clusterOf, type KafkaBroker, type KafkaCluster } from "../../transforms/io/kafka/client/connection";
import { ClusterProducer } from "../../transforms/io/kafka/sink/producer";
import { describeWithKafka } from "./services";

/** The private method kafkajs's broker sends every request through. */
function sendRequestKey(broker: KafkaBroker): symbol {
  return Object.getOwnPropertySymbols(Object.getPrototypeOf(broker)).find((k) => k.description === "private:Broker:sendRequest")!;
}

describeWithKafka("the Kafka sink's producer", (broker) => {
  test("a partition whose request is in flight when another leader's fails is written once, not again by the retry", async () => {
    const topic = `two-leaders-${process.pid}`;
    const kafka = new Kafka({ brokers: [broker().bootstrapServers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const failing = clusterOf(kafka);
    const slow = clusterOf(kafka);
    await Promise.all([failing.connect(), slow.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await Promise.all([failing.addTargetTopic(topic), slow.addTargetTopic(topic)]);
      const leaderId = failing.findTopicPartitionMetadata(topic)[0].leader;
      const failingBroker = await failing.findBroker({ nodeId: leaderId });
      const slowBroker = await slow.findBroker({ nodeId: leaderId });
      const key = sendRequestKey(failingBroker);
      const send = (failingBroker as unknown as Record<symbol, (r: unknown) => Promise<unknown>>)[key];
      let failures = 0;
      // Node "1" (partition 0) fails its first Produce at once; node "2" (partition 1) answers after 1.5 s.
      Object.assign(failingBroker, {
        [key]: async (r: unknown) => {
          if ((r as { request?: { apiKey?: number } }).request?.apiKey === 0 && failures++ === 0) throw Object.assign(new Error("the leader is not available"), { retriable: true });
          return send.call(failingBroker, r);
        },
      });
      Object.assign(slowBroker, {
        [key]: async (r: unknown) => {
          if ((r as { request?: { apiKey?: number } }).request?.apiKey === 0) await new Promise((w) => setTimeout(w, 1500));
          return send.call(slowBroker, r);
        },
      });
      const twoLeaders = new Proxy(failing, {
        get(target, prop) {
          if (prop === "findLeaderForPartitions") return (_t: string, parts: number[]) => Object.fromEntries([["1", parts.filter((p) => p === 0)], ["2", parts.filter((p) => p === 1)]].filter(([, ps]) => (ps as number[]).length > 0));
          if (prop === "findBroker") return async ({ nodeId }: { nodeId: number | string }) => (String(nodeId) === "2" ? slowBroker : failingBroker);
          const v = (target as unknown as Record<string | symbol, unknown>)[prop];
          return typeof v === "function" ? v.bind(target) : v;
        },
      }) as KafkaCluster;
      const producer = new ClusterProducer(kafka, twoLeaders, { transactionTimeoutMs: 60_000 });
      await producer.init();
      const records = [0, 1].flatMap((partition) => Array.from({ length: 50 }, (_, i) => ({ partition, key: null, value: Buffer.from(`p${partition}-${i}`), timestamp: Date.now() })));
      await producer.send(topic, records);
      expect(failures).toBeGreaterThanOrEqual(2);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => [o.partition, Number(o.high)]).sort()).toEqual([[0, 50], [1, 50]]);
    } finally {
      await Promise.all([failing.disconnect(), slow.disconnect(), admin.disconnect()]);
    }
  }, 60_000);
});
