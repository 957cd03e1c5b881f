/** What a writer needs to know of its topic before writing: its partitions and `max.message.bytes`. */
import { IOError } from "../../../../sdk/errors";
import type { KafkaCluster } from "../client/connection";
import type { TopicLayout } from "./records";
import { kafkaFailure, protocolType, withRetries } from "./failures";

/** Kafka's DescribeConfigs resource type of a topic. */
const TOPIC_RESOURCE = 2;
/** The broker's default `max.message.bytes`, used when the broker does not say. */
const DEFAULT_MAX_MESSAGE_BYTES = 1048588;

/** Reads `topic`'s partition count and record batch limit; a missing topic is an error saying how to create it. */
export async function topicLayout(cluster: KafkaCluster, topic: string, where: string): Promise<TopicLayout> {
  try {
    return await withRetries(async () => {
      await cluster.addTargetTopic(topic);
      const partitions = cluster.findTopicPartitionMetadata(topic);
      if (partitions.length === 0) throw Object.assign(new Error(`no metadata for ${topic}`), { retriable: true });
      const broker = await cluster.findBroker({ nodeId: partitions[0].leader });
      const described = (await (broker.describeConfigs as (r: object) => Promise<{ resources: { errorCode: number; configEntries: { configName: string; configValue: string }[] }[] }>)({
        resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ["max.message.bytes"] }],
      }));
      const entry = described.resources[0]?.configEntries.find((c) => c.configName === "max.message.bytes");
      const maxMessageBytes = entry ? Number(entry.configValue) : DEFAULT_MAX_MESSAGE_BYTES;
      return { topic, partitions: partitions.length, maxMessageBytes: Number.isFinite(maxMessageBytes) && maxMessageBytes > 0 ? maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES };
    }, ["UNKNOWN_TOPIC_OR_PARTITION"]);
  } catch (e) {
    if (protocolType(e) === "UNKNOWN_TOPIC_OR_PARTITION") {
      throw new IOError({
        code: "BL_KAFKA_TOPIC_MISSING", domain: "user", where, value: topic,
        rule: "writeKafka writes to an existing topic (it does not create topics)",
        fix: `create it first, e.g. kafka-topics --create --topic ${topic} --partitions 3, or with kafkajs's admin.createTopics`,
        cause: e,
      });
    }
    throw kafkaFailure(e, where, `reading topic ${topic}'s metadata`);
  }
}
