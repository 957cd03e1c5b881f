/** Reading Kafka: `readKafka` and its options. */
export { readKafka, type KafkaRow, type KafkaWithDeadLetters } from "./read-kafka";
export type { ReadKafkaOptions, KafkaFormat, KafkaStartOffset, KafkaEventTime, KafkaRecordView } from "./options";
export { kafkaDeadLetterSchema, type KafkaDeadLetter } from "./dead-letter";
