import { OptionError } from "beamline";
import { parseBrokers } from "../../../../transforms/io/kafka/client/connection";

describe("Kafka bootstrap servers", () => {
  test("accept host:port lists, comma-separated or as an array", () => {
    expect(parseBrokers("127.0.0.1:9092, kafka-1:19092")).toEqual(["127.0.0.1:9092", "kafka-1:19092"]);
    expect(parseBrokers(["[::1]:9092"])).toEqual(["[::1]:9092"]);
  });

  test.each([[""], ["127.0.0.1"], ["host:0"], ["host:70000"], ["http://host:9092"]])("refuse %p, naming it and the form", (bad) => {
    try {
      parseBrokers(bad);
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).code).toBe("BL_KAFKA_BROKERS");
      expect((e as Error).message).toMatch(/host:port/);
    }
  });
});
