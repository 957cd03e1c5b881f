/** readKafka's options: every mistake fails when the pipeline is built, naming the value, the rule and the fix; brokers that do not answer fail the run as it starts. */
import * as net from "node:net";
import { deadLetterSchema, DirectRunner, OptionError, Pipeline, readKafka, schema, t, type ReadKafkaOptions } from "beamline";

const Click = schema({ page: t.string(), ms: t.int64() });
const base = { brokers: "127.0.0.1:9092", topics: ["clicks"] };

/** The error building a read with `options` throws. */
function refusal(options: ReadKafkaOptions<any>): OptionError {
  try {
    new Pipeline().apply("Read", readKafka(options as any));
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return e as OptionError;
  }
  throw new Error("the options were accepted");
}

describe("readKafka options", () => {
  test.each<[string, ReadKafkaOptions<any>, string, unknown]>([
    ["no topics", { ...base, topics: [] }, "topics", []],
    ["a topic name with a space", { ...base, topics: ["my clicks"] }, "topics", ["my clicks"]],
    ["an unknown format", { ...base, format: "avro" as never }, "format", "avro"],
    ["json without a schema", { ...base, format: "json" }, "schema", undefined],
    ["a schema with format string", { ...base, schema: Click }, "schema", ["page", "ms"]],
    ["a schema field named like a record column", { ...base, format: "json", schema: schema({ offset: t.int64() }) }, "schema", "offset"],
    ["committed offsets without a group", { ...base, startOffset: "committed" }, "startOffset", "committed"],
    ["a start that is not a place", { ...base, startOffset: "beginning" as never }, "startOffset", "beginning"],
    ["an event-time field the schema lacks", { ...base, format: "json", schema: Click, eventTime: "time" }, "eventTime", "time"],
    ["an idle timeout that is not a duration", { ...base, idleTimeout: "soon" }, "idleTimeout", "soon"],
    ["a negative out-of-orderness", { ...base, maxOutOfOrderness: -5 }, "maxOutOfOrderness", -5],
    ["stopAt other than end", { ...base, stopAt: "now" as never }, "stopAt", "now"],
    ["an unknown isolation", { ...base, isolation: "serializable" as never }, "isolation", "serializable"],
    ["a fetch size of zero", { ...base, maxBytesPerFetch: 0 }, "maxBytesPerFetch", 0],
  ])("%s is refused", (_what, options, option, value) => {
    const e = refusal(options);
    expect(e.code).toBe("BL_KAFKA_OPTION");
    expect(e.where).toContain(`option ${option}`);
    expect(e.value).toEqual(value);
    expect(e.fix).toBeTruthy();
  });

  test("a bad bootstrap server is refused naming it", () => {
    const e = refusal({ ...base, brokers: "localhost" });
    expect(e.code).toBe("BL_KAFKA_BROKERS");
    expect(e.value).toBe("localhost");
  });

  test("good options build: the rows' schema has the record columns around the value's fields, and a dead-letter output", () => {
    const p = new Pipeline();
    const out = p.apply("Read", readKafka({ ...base, format: "json", schema: Click, eventTime: "ms", deadLetter: true, idleTimeout: "2s", startOffset: { timestamp: new Date(0) } }));
    expect(out.main.schema!.fields.map((f) => f.name)).toEqual(["key", "page", "ms", "topic", "partition", "offset", "timestamp", "headers"]);
    expect(out.deadLetter.schema).toBe(deadLetterSchema.arrow);
    expect(out.main.bounded).toBe(false);
    const bounded = new Pipeline().apply("Read", readKafka({ ...base, topics: /^clicks-/, format: "bytes", stopAt: "end" }));
    expect(bounded.schema!.fields.map((f) => `${f.name}:${f.type}`).slice(0, 2)).toEqual(["key:Binary", "value:Binary"]);
    expect(bounded.bounded).toBe(true);
  });
});

describe("readKafka without a cluster", () => {
  test("a read whose brokers do not answer fails when it starts, naming them", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r)); // a free port nothing listens on
    const p = new Pipeline();
    p.apply("Read", readKafka({ brokers: `127.0.0.1:${port}`, topics: ["clicks"], stopAt: "end", connectionTimeoutMs: 200 }));
    await expect(new DirectRunner({ parallelism: 1 }).run(p)).rejects.toMatchObject({ code: "BL_KAFKA_UNREACHABLE", value: `127.0.0.1:${port}` });
  }, 30_000);
});
