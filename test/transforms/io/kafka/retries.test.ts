/**
 * Kafka failures while reading: what waiting can fix is retried with a bounded backoff, what it
 * cannot fails with a BL_KAFKA_ code; tried with kafkajs's own error objects.
 */
import { KafkaJSConnectionError, KafkaJSOffsetOutOfRange, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from "kafkajs";
import { backoffMs } from "../../../../sdk/retry";
import { permanentError, SOURCE_RETRY, withRetries } from "../../../../transforms/io/kafka/source/retries";

// kafkajs's protocol errors by Kafka error code (pinned 2.2.4).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { createErrorFromCode } = require("kafkajs/src/protocol/error") as { createErrorFromCode(code: number): object };
const protocolError = (code: number) => new KafkaJSProtocolError(createErrorFromCode(code) as never);

describe("Kafka retries", () => {
  test("a broker away or a leader moving is retried; access refused, an offset out of range and a topic gone for good are not", () => {
    expect(permanentError(new KafkaJSConnectionError("Connection error: ECONNREFUSED"), 0, "read", "t/0")).toBeNull();
    expect(permanentError(protocolError(6), 0, "read", "t/0")).toBeNull(); // NOT_LEADER_OR_FOLLOWER
    expect(permanentError(protocolError(29), 0, "read", "t/0")).toMatchObject({ code: "BL_KAFKA_AUTH", value: "t/0" });
    expect(permanentError(new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)("bad password"), 0, "read", "t/0")).toMatchObject({ code: "BL_KAFKA_AUTH" });
    expect(permanentError(new KafkaJSOffsetOutOfRange(createErrorFromCode(1) as never, { topic: "t", partition: 0 }), 0, "read", "t/0")).toMatchObject({ code: "BL_KAFKA_OFFSET_OUT_OF_RANGE" });
    expect(permanentError(protocolError(3), 0, "read", "t/0")).toBeNull();
    expect(permanentError(protocolError(3), 9, "read", "t/0")).toMatchObject({ code: "BL_KAFKA_TOPIC_GONE" });
    const bug = new TypeError("x is undefined");
    expect(permanentError(bug, 0, "read", "t/0")).toBe(bug);
  });

  test("the backoff doubles from 100 ms and stays at 2 s", () => {
    expect([1, 2, 3, 4, 5, 6, 51].map((attempt) => backoffMs(SOURCE_RETRY, attempt))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  test("withRetries tries again until success, and stops at once when the run is cancelled", async () => {
    let tries = 0;
    const waits: number[] = [];
    const ctx = { cancelled: false, processingTime: () => 0, sleep: async (ms: number) => (waits.push(ms), true) };
    const flaky = async () => {
      if (++tries < 4) throw new KafkaJSConnectionError("down");
      return "ok";
    };
    expect(await withRetries(flaky, ctx, "read", "t/0")).toBe("ok");
    expect(waits).toEqual([100, 200, 400]);
    const cancelled = { ...ctx, cancelled: true };
    expect(await withRetries(async () => Promise.reject(new KafkaJSConnectionError("down")), cancelled, "read", "t/0")).toBeNull();
  });
});
