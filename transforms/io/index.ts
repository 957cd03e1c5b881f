/** File IO: text, CSV, JSON Lines, Arrow IPC and Parquet sources and transactional sinks, on local files or gs://. (Pub/Sub is in pubsub/.) */
export * from "./files";
export * from "./common";
export * from "./text";
export * from "./csv";
export * from "./jsonl";
export * from "./arrow";
export * from "./parquet";
