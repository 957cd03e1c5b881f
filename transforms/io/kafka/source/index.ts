/** Reading Kafka: `readKafka` and its options. */
export { readKafka, type KafkaRow } from "./read-kafka";
export type { ReadKafkaOptions, KafkaFormat, KafkaStartOffset, KafkaEventTime, KafkaRecordView } from "./options";
