/**
 * writeKafka's options are checked when the pipeline is built, each mistake an OptionError naming the
 * option, its rule and the fix; rows the sink cannot write (a key of the wrong type, a record larger
 * than the topic accepts) fail naming the row, before anything is sent.
 */
import { create, deadLetterSchema, GLOBAL_WINDOW_MAX_TIMESTAMP, IOError, MIN_TIMESTAMP, type DeadLetter, OptionError, Pipeline, rowsToRecordBatch, schema, SchemaError, t, writeKafka, type WriteKafkaOptions } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { checkWriteKafkaOptions } from "../../../../transforms/io/kafka/sink/options";
import { partitionForKey } from "../../../../transforms/io/kafka/sink/partitioner";
import { RecordEncoder } from "../../../../transforms/io/kafka/sink/records";

const base: WriteKafkaOptions = { brokers: "127.0.0.1:9092", topic: "out", semantics: "exactly-once" };

function optionError(options: unknown): OptionError {
  try {
    writeKafka(options as WriteKafkaOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return e as OptionError;
  }
  throw new Error("writeKafka accepted bad options");
}

describe("writeKafka options", () => {
  test.each<[string, Partial<Record<keyof WriteKafkaOptions | "partitioner", unknown>>, string]>([
    ["semantics", { semantics: "exactly_once" }, '"exactly-once" or "at-least-once"'],
    ["semantics", { semantics: undefined }, '"exactly-once" or "at-least-once"'],
    ["topic", { topic: "bad topic!" }, "a topic name is 1 to 249"],
    ["brokers", { brokers: "localhost" }, "host:port"],
    ["key", { key: 3 }, "key names a field"],
    ["shards", { shards: 0 }, "shards is a whole number"],
    ["transactionalIdPrefix", { transactionalIdPrefix: "has space" }, "transactional id prefix"],
    ["transactionTimeoutMs", { transactionTimeoutMs: 10 }, "transaction.max.timeout.ms"],
    ["headers", { headers: { a: 1 } }, "headers names a field"],
    ["partitioner", { partitioner: "random" }, "writeKafka has no option partitioner"],
    ["deadLetter", { deadLetter: "yes" }, "deadLetter is true or false"],
    ["lingerMs", { lingerMs: -1 }, "lingerMs is a whole number"],
    ["lingerMs", { lingerMs: 2.5 }, "lingerMs is a whole number"],
  ])("%s: %j is refused with its rule and a fix", (option, change, rule) => {
    const e = optionError({ ...base, ...change });
    expect(e.rule).toContain(rule);
    expect(e.fix).toBeTruthy();
    if (option !== "brokers") expect(e.code).toBe("BL_KAFKA_SINK_OPTION");
    expect(e.message).toContain(option === "brokers" ? "localhost" : option);
  });

  test("defaults: one shard, a prefix from the topic, event time as timestamp, a 15-minute transaction timeout, a 5 ms linger", () => {
    const s = checkWriteKafkaOptions(base);
    expect(s).toMatchObject({ shards: 1, transactionalIdPrefix: "beamline-out", timestamp: "eventTime", transactionTimeoutMs: 900_000, lingerMs: 5 });
    expect(checkWriteKafkaOptions({ ...base, lingerMs: 0 }).lingerMs).toBe(0);
  });

  test("declares a write primitive whose payload records the sink's settings", () => {
    const p = new Pipeline();
    p.apply(create([{ id: "a" }])).apply(writeKafka({ ...base, key: "id", shards: 2 }));
    const g = p.graph();
    const write = Object.values(g.transforms).find((tr) => tr.urn === "beamline:transform:write:v1")!;
    expect(write.payload).toMatchObject({ sink: "kafka", topic: "out", key: "id", shards: 2, semantics: "exactly-once" });
  });

  test("deadLetter: true gives { written, deadLetter }, the dead letters in the one dead-letter schema", () => {
    const p = new Pipeline();
    const out = p.apply(create([{ id: "a" }])).apply(writeKafka({ ...base, key: "id", deadLetter: true }));
    expect(Object.keys(out).sort()).toEqual(["deadLetter", "written"]);
    expect(out.deadLetter.schema?.fields.map((f) => f.name)).toEqual(deadLetterSchema.arrow.fields.map((f) => f.name));
    const write = Object.values(p.graph().transforms).find((tr) => tr.urn === "beamline:transform:write:v1")!;
    expect(Object.keys(write.outputs).sort()).toEqual(["deadLetter", "main"]);
  });
});

describe("rows as Kafka records", () => {
  const layout = { topic: "out", partitions: 5, maxMessageBytes: 1000 };
  const settings = (extra: Partial<WriteKafkaOptions>) => checkWriteKafkaOptions({ ...base, ...extra });
  const rows = schema({ id: t.string(), n: t.int32(), tag: t.string() });
  const batch = (values: { id: string | null; n: number; tag: string }[]) => globalBatch(rowsToRecordBatch(values, rows.arrow, "test"));

  test("keys go to Kafka's partition for their bytes, values are the row as JSON, headers and timestamps are set", () => {
    const enc = new RecordEncoder(settings({ key: "id", headers: { tag: "tag" } }), layout, "test");
    const b = batch([{ id: "a", n: 1, tag: "x" }, { id: "日本", n: 2, tag: "y" }]);
    const ts = new Float64Array([1_700_000_000_000, 1_700_000_000_500]);
    const records = enc.encode({ ...b, timestamps: ts });
    expect(records.map((r) => r.key!.toString())).toEqual(["a", "日本"]);
    expect(records.map((r) => r.partition)).toEqual([partitionForKey(Buffer.from("a"), 5), partitionForKey(Buffer.from("日本"), 5)]);
    expect(JSON.parse(records[1].value!.toString())).toEqual({ id: "日本", n: 2, tag: "y" });
    expect(records[0].headers!.tag.toString()).toBe("x");
    expect(records.map((r) => r.timestamp)).toEqual([1_700_000_000_000, 1_700_000_000_500]);
  });

  test("elements without a real time (the minimum, the global window's end, as an aggregate in the global window has on Beam's runners) get the time of writing", () => {
    const enc = new RecordEncoder(settings({ key: "id" }), layout, "test");
    const b = batch([{ id: "a", n: 1, tag: "" }, { id: "b", n: 2, tag: "" }, { id: "c", n: 3, tag: "" }]);
    const before = Date.now();
    const records = enc.encode({ ...b, timestamps: new Float64Array([MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP, 1_700_000_000_000]) });
    for (const r of records.slice(0, 2)) {
      expect(r.timestamp).toBeGreaterThanOrEqual(before);
      expect(r.timestamp).toBeLessThanOrEqual(Date.now());
    }
    expect(records[2].timestamp).toBe(1_700_000_000_000);
  });

  test("a headers field of name → value objects becomes each record's headers; a header value of another type fails naming the row", () => {
    const withHeaders = schema({ id: t.string(), meta: t.struct({ source: t.string(), trace: t.string() }) });
    const enc = new RecordEncoder(settings({ key: "id", headers: "meta" }), layout, "writeKafka to out");
    const b = globalBatch(rowsToRecordBatch([{ id: "a", meta: { source: "web", trace: "t-1" } }], withHeaders.arrow, "test"));
    const [r] = enc.encode(b);
    expect(Object.fromEntries(Object.entries(r.headers!).map(([k, v]) => [k, v.toString()]))).toEqual({ source: "web", trace: "t-1" });
    const numeric = schema({ id: t.string(), meta: t.struct({ attempt: t.int32() }) });
    const bad = globalBatch(rowsToRecordBatch([{ id: "a", meta: { attempt: 3 } }], numeric.arrow, "test"));
    expect(() => enc.encode(bad)).toThrow(/row 0.*header attempt's value is a string or bytes/);
  });

  test("a timestamp field gives each record's timestamp; a missing one fails naming the row", () => {
    const timed = schema({ id: t.string(), at: t.float64() });
    const enc = new RecordEncoder(settings({ key: "id", timestamp: "at" }), layout, "writeKafka to out");
    const ok = globalBatch(rowsToRecordBatch([{ id: "a", at: 1_600_000_000_123 }, { id: "b", at: 5 }], timed.arrow, "test"));
    expect(enc.encode(ok).map((r) => r.timestamp)).toEqual([1_600_000_000_123, 5]);
    const missing = globalBatch(rowsToRecordBatch([{ id: "a", at: 1 }, { id: "b", at: null }], timed.arrow, "test"));
    expect(() => enc.encode(missing)).toThrow(/row 1 of a batch of 2.*field at gives a record timestamp/);
  });

  test("null keys stick to one partition per batch and move on with the next batch", () => {
    const enc = new RecordEncoder(settings({ key: "id" }), layout, "test");
    const first = enc.encode(batch([{ id: null, n: 1, tag: "" }, { id: null, n: 2, tag: "" }]));
    const second = enc.encode(batch([{ id: null, n: 3, tag: "" }]));
    expect(first[0].key).toBeNull();
    expect(first[0].partition).toBe(first[1].partition);
    expect(second[0].partition).toBe((first[0].partition + 1) % 5);
  });

  test("a value field of strings is written as its bytes", () => {
    const enc = new RecordEncoder(settings({ value: "tag" }), layout, "test");
    expect(enc.encode(batch([{ id: "a", n: 1, tag: "plain text" }]))[0].value!.toString()).toBe("plain text");
  });

  test("a key field that is not a string or bytes fails naming the field and its type", () => {
    const enc = new RecordEncoder(settings({ key: "n" }), layout, "writeKafka to out");
    expect(() => enc.encode(batch([{ id: "a", n: 1, tag: "" }]))).toThrow(SchemaError);
    expect(() => enc.encode(batch([{ id: "a", n: 1, tag: "" }]))).toThrow(/n: Int32.*string or bytes/);
  });

  test("a key field the rows do not have fails naming the fields they have", () => {
    const enc = new RecordEncoder(settings({ key: "user" }), layout, "writeKafka to out");
    expect(() => enc.encode(batch([{ id: "a", n: 1, tag: "" }]))).toThrow(/"user".*they have id, n, tag/);
  });

  test("a record larger than the topic's max.message.bytes fails naming the row and the limit", () => {
    const enc = new RecordEncoder(settings({ key: "id" }), layout, "writeKafka to out");
    let error: unknown;
    try {
      enc.encode(batch([{ id: "small", n: 1, tag: "" }, { id: "big", n: 2, tag: "x".repeat(2000) }]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IOError);
    expect((error as IOError).code).toBe("BL_KAFKA_UNWRITABLE_ROW");
    expect((error as IOError).message).toMatch(/row 1 of a batch of 2.*"big".*max\.message\.bytes \(1000\)/);
  });

  describe("with a dead-letter output", () => {
    const routed = () => {
      const letters: DeadLetter[] = [];
      return { letters, rejected: { transform: "Write", emit: (l: readonly DeadLetter[]) => letters.push(...l) } };
    };

    test("a record larger than max.message.bytes goes to the dead letters with the row, the reason and the topic; the other rows are written", () => {
      const { letters, rejected } = routed();
      const enc = new RecordEncoder(settings({ key: "id", deadLetter: true }), layout, "writeKafka to out", 0, rejected);
      const b = batch([{ id: "small", n: 1, tag: "" }, { id: "big", n: 2, tag: "x".repeat(2000) }, { id: "last", n: 3, tag: "" }]);
      const records = enc.encode({ ...b, timestamps: new Float64Array([10, 20, 30]) });
      expect(records.map((r) => r.key!.toString())).toEqual(["small", "last"]);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ transform: "Write", topic: "out", errorName: "IOError", eventTime: 20, window: "global", attempts: 1, raw: null, partition: null });
      expect(JSON.parse(letters[0].element)).toEqual({ id: "big", n: 2, tag: "x".repeat(2000) });
      expect(letters[0].message).toMatch(/row 1 of a batch of 3.*max\.message\.bytes \(1000\)/);
    });

    test("a key field that is not a string or bytes sends every row to the dead letters instead of failing", () => {
      const { letters, rejected } = routed();
      const enc = new RecordEncoder(settings({ key: "n", deadLetter: true }), layout, "writeKafka to out", 0, rejected);
      expect(enc.encode(batch([{ id: "a", n: 1, tag: "" }, { id: "b", n: 2, tag: "" }]))).toEqual([]);
      expect(letters.map((l) => JSON.parse(l.element).n)).toEqual([1, 2]);
      expect(letters[0].message).toMatch(/a record key is a string or bytes field.*Int32/);
    });

    test("a bad timestamp goes to the dead letters; a missing key field still fails the run (a pipeline mistake, not a row's)", () => {
      const { letters, rejected } = routed();
      const timed = schema({ id: t.string(), at: t.float64() });
      const enc = new RecordEncoder(settings({ key: "id", timestamp: "at", deadLetter: true }), layout, "writeKafka to out", 0, rejected);
      const records = enc.encode(globalBatch(rowsToRecordBatch([{ id: "a", at: 1 }, { id: "b", at: null }], timed.arrow, "test")));
      expect(records.map((r) => r.key!.toString())).toEqual(["a"]);
      expect(letters[0].message).toMatch(/field at gives a record timestamp/);
      const missing = new RecordEncoder(settings({ key: "user", deadLetter: true }), layout, "writeKafka to out", 0, rejected);
      expect(() => missing.encode(batch([{ id: "a", n: 1, tag: "" }]))).toThrow(/"user"/);
    });
  });
});
