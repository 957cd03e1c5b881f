/**
 * readKafka on the direct runner against a real broker: keyed records of three partitions read
 * exactly at parallelism 1 and 2; a run stopped after a checkpoint resumes exactly, at the same or
 * another parallelism; a partition added while running is read; group offsets committed when
 * checkpoints complete equal the positions (Kafka's own kafka-consumer-groups shows the lag); topics
 * compressed by Kafka's Java console producer (gzip, snappy, lz4, zstd) are read; bad JSON goes to the
 * dead-letter output; an idle empty partition does not hold windows back; a broker restarted mid-run
 * is waited for.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from "kafkajs";
import { buildPipeline, collect, DirectRunner, Pipeline, readKafka, schema, t, type PipelineDefinition, type ReadKafkaOptions } from "beamline";
import { CheckpointStore } from "../../runners/direct/checkpoint/store";
import { ensureKafka } from "../../runners/services/kafka/kafka";
import { tempDir } from "../helpers";
import { outputLines } from "../runners/direct/parallel/files";
import { kafkaToFiles, windowedCounts } from "./kafka-source-pipelines";
import { describeWithKafka } from "./services";

/** Every wait in this suite ends within this (ms). */
const WAIT = 20_000;

interface Line {
  key: string | null;
  value: string | null;
  topic: string;
  partition: number;
  offset: number;
}

/** Polls `f` until it returns a value other than undefined, or fails after `WAIT` naming `what`. */
async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The records a kafkaToFiles run wrote, parsed. */
function lines(dir: string, prefix = "out"): Line[] {
  return outputLines(dir, prefix).map((l) => JSON.parse(l) as Line);
}

/** `key|value` of each line, sorted: what must equal what was produced. */
function keyValues(read: readonly Line[]): string[] {
  return read.map((l) => `${l.key}|${l.value}`).sort();
}

/** Fails unless no two lines are the same record (topic, partition, offset). */
function expectNoDuplicates(read: readonly Line[]): void {
  expect(new Set(read.map((l) => `${l.topic}/${l.partition}@${l.offset}`)).size).toBe(read.length);
}

/** Runs `def` until a checkpoint in `dir` committed output (next to `dir`), then cancels it; resolves with the cancelled run's error. */
async function runUntilCheckpoint(def: PipelineDefinition<any>, values: Record<string, unknown>, parallelism: number, dir: string): Promise<unknown> {
  const abort = new AbortController();
  const run = new DirectRunner({ parallelism, checkpoint: { dir, intervalMs: 20 }, signal: abort.signal }).run(buildPipeline(def, values)).then(
    () => "finished",
    (e) => e,
  );
  let finished = false;
  void run.then(() => (finished = true));
  await waitFor("a checkpoint that committed output", () => (finished || (new CheckpointStore(dir).completed().length > 0 && outputLines(path.dirname(dir), "out").length > 0) ? true : undefined));
  abort.abort();
  return run;
}

/** Starts `def` checkpointed every 100 ms until `stop` cancels it; `stop` resolves with the run's error code. */
function startRun(def: PipelineDefinition<any>, values: Record<string, unknown>, parallelism: number, dir: string): { stop(): Promise<string | undefined> } {
  const abort = new AbortController();
  const run = new DirectRunner({ parallelism, checkpoint: { dir: path.join(dir, "chk"), intervalMs: 100 }, signal: abort.signal }).run(buildPipeline(def, values)).then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );
  return {
    stop: () => {
      abort.abort();
      return run;
    },
  };
}

/** Runs one of Kafka's Java tools from the broker's class path, feeding `input`; resolves with its output. */
function javaTool(mainClass: string, args: string[], input = ""): Promise<string> {
  const cp = ensureKafka().join(path.delimiter);
  return new Promise((resolve, reject) => {
    const child = spawn("java", ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", cp, mainClass, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), WAIT);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${mainClass} exited with ${code}: ${err.slice(-2000)}`));
    });
    child.stdin.end(input);
  });
}

describeWithKafka("readKafka on a real broker", (broker) => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const brokers = () => broker().bootstrapServers;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: "kafka-source-test", brokers: [brokers()], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await admin.connect();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  const createTopic = async (topic: string, numPartitions: number) => {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  };
  /** Produces `n` keyed records (`k<i % 37>`, `v<from + i>`), in sends of 1,000. */
  const produce = async (topic: string, n: number, from = 0, partition?: number, by = producer): Promise<string[]> => {
    const kv: string[] = [];
    for (let at = 0; at < n; at += 1000) {
      const messages = Array.from({ length: Math.min(1000, n - at) }, (_, j) => {
        const i = from + at + j;
        kv.push(`k${i % 37}|v${i}`);
        return { key: `k${i % 37}`, value: `v${i}`, ...(partition !== undefined ? { partition } : {}) };
      });
      await by.send({ topic, messages });
    }
    return kv.sort();
  };
  const idempotent = () => kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const endOffsets = async (topic: string) => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));

  test("3 partitions of keyed records are read exactly, at parallelism 1 and 2; a key stays in one partition", async () => {
    await createTopic("exact", 3);
    const produced = await produce("exact", 6000);
    for (const parallelism of [1, 2]) {
      const dir = tempDir();
      await new DirectRunner({ parallelism }).run(buildPipeline(kafkaToFiles, { brokers: brokers(), topics: "exact", output: path.join(dir, "out") }));
      const read = lines(dir);
      expect(keyValues(read)).toEqual(produced);
      expectNoDuplicates(read);
      const partitionsOfKey = new Map<string, Set<number>>();
      for (const l of read) partitionsOfKey.set(l.key!, (partitionsOfKey.get(l.key!) ?? new Set()).add(l.partition));
      expect([...partitionsOfKey.values()].every((s) => s.size === 1)).toBe(true);
      expect(new Set(read.map((l) => l.partition))).toEqual(new Set([0, 1, 2]));
    }
  }, 60_000);

  test("a bounded read stopped after a checkpoint resumes exactly: at parallelism 1, and from 2 at 3", async () => {
    await createTopic("resume", 3);
    const produced = await produce("resume", 20_000);
    for (const [first, second] of [[1, 1], [2, 3]]) {
      const dir = tempDir();
      const chk = path.join(dir, "chk");
      const values = { brokers: brokers(), topics: "resume", output: path.join(dir, "out"), maxBytes: 1024 };
      const stopped = await runUntilCheckpoint(kafkaToFiles, values, first, chk);
      expect((stopped as { code?: string }).code).toBe("BL_CANCELLED");
      const before = lines(dir).length;
      expect(before).toBeLessThan(produced.length);
      const again = await new DirectRunner({ parallelism: second, checkpoint: { dir: chk, intervalMs: 1000, resume: true } }).run(buildPipeline(kafkaToFiles, values));
      expect(again.checkpoints!.restoredFrom).not.toBeNull();
      const read = lines(dir);
      expect(keyValues(read)).toEqual(produced);
      expectNoDuplicates(read);
    }
  }, 60_000);

  test("a partition added while running is read (at parallelism 2, discovery every 200 ms)", async () => {
    await createTopic("grows", 2);
    const before = await produce("grows", 400);
    const dir = tempDir();
    const run = startRun(kafkaToFiles, { brokers: brokers(), topics: "grows", output: path.join(dir, "out"), bounded: false, discoveryMs: 200 }, 2, dir);
    try {
      await waitFor("the first records", () => (lines(dir).length === before.length ? true : undefined));
      await admin.createPartitions({ topicPartitions: [{ topic: "grows", count: 3 }] });
      // A producer that knew the topic before drops records for a partition its metadata lacks: refresh it.
      await producer.disconnect();
      await producer.connect();
      const added = await produce("grows", 100, 400, 2);
      expect((await endOffsets("grows")).get(2)).toBe(100);
      const read = await waitFor("the new partition's records", () => {
        const r = lines(dir);
        return r.length >= before.length + added.length ? r : undefined;
      });
      expect(keyValues(read)).toEqual([...before, ...added].sort());
      expect(read.filter((l) => l.partition === 2).length).toBe(100);
      expectNoDuplicates(read);
    } finally {
      expect(await run.stop()).toBe("BL_CANCELLED");
    }
  }, 60_000);

  test("group offsets committed when checkpoints complete equal the positions; kafka-consumer-groups shows lag = end − position; a first start from committed offsets, the end or a time", async () => {
    await createTopic("lag", 3);
    const produced = await produce("lag", 3000);
    const dir = tempDir();
    await new DirectRunner({ parallelism: 2, checkpoint: { dir: path.join(dir, "chk"), intervalMs: 50 } }).run(
      buildPipeline(kafkaToFiles, { brokers: brokers(), topics: "lag", output: path.join(dir, "out"), groupId: "lag-group" }),
    );
    expect(lines(dir).length).toBe(produced.length);
    const ends = await endOffsets("lag");
    const [committed] = await admin.fetchOffsets({ groupId: "lag-group", topics: ["lag"] });
    expect(new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]))).toEqual(ends);
    await produce("lag", 7, 0, 1);
    const described = await javaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", ["--bootstrap-server", brokers(), "--describe", "--group", "lag-group"]);
    const lagOf = new Map(
      described
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols[0] === "lag-group" && cols[1] === "lag")
        .map((cols) => [Number(cols[2]), { position: Number(cols[3]), end: Number(cols[4]), lag: Number(cols[5]) }]),
    );
    expect(lagOf.get(0)).toEqual({ position: ends.get(0), end: ends.get(0), lag: 0 });
    expect(lagOf.get(1)).toEqual({ position: ends.get(1), end: ends.get(1)! + 7, lag: 7 });
    expect(lagOf.get(2)).toEqual({ position: ends.get(2), end: ends.get(2), lag: 0 });

    // Where a first start begins: the group's committed offsets, the end, or the first record at a time.
    const startAt = async (startOffset: ReadKafkaOptions["startOffset"], groupId?: string) => {
      const p = new Pipeline();
      const out = collect(p.apply("Read", readKafka({ brokers: brokers(), topics: ["lag"], stopAt: "end", startOffset, ...(groupId ? { groupId } : {}) })));
      await new DirectRunner({ parallelism: 1 }).run(p);
      return out.rows;
    };
    expect((await startAt("committed", "lag-group")).map((r) => [r.partition, r.offset])).toEqual(Array.from({ length: 7 }, (_, i) => [1, ends.get(1)! + i]));
    expect(await startAt("latest")).toEqual([]);
    expect((await startAt("committed", "a-group-that-never-committed")).length).toBe(produced.length + 7);
    const seventh = (await startAt("earliest")).find((r) => r.partition === 1 && r.offset === ends.get(1))!;
    const fromTime = await startAt({ timestamp: seventh.timestamp });
    expect(fromTime.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual(Array.from({ length: 7 }, (_, i) => ends.get(1)! + i));
  }, 60_000);

  test("topics compressed with gzip, snappy, lz4 and zstd by Kafka's Java console producer are read", async () => {
    const codecs = ["gzip", "snappy", "lz4", "zstd"];
    for (const codec of codecs) await createTopic(`packed-${codec}`, 1);
    const input = Array.from({ length: 500 }, (_, i) => `k${i % 7}:${"payload ".repeat(5)}${i}`);
    await Promise.all(
      codecs.map((codec) =>
        javaTool(
          "org.apache.kafka.tools.ConsoleProducer",
          ["--bootstrap-server", brokers(), "--topic", `packed-${codec}`, "--producer-property", `compression.type=${codec}`, "--producer-property", "linger.ms=50", "--property", "parse.key=true", "--property", "key.separator=:"],
          `${input.join("\n")}\n`,
        ),
      ),
    );
    const p = new Pipeline();
    const out = collect(p.apply("Read", readKafka({ brokers: brokers(), topics: /^packed-/, stopAt: "end" })));
    await new DirectRunner({ parallelism: 1 }).run(p);
    for (const codec of codecs) {
      const rows = out.rows.filter((r) => r.topic === `packed-${codec}`);
      expect(rows.map((r) => `${r.key}:${r.value}`).sort()).toEqual([...input].sort());
    }
  }, 60_000);

  test("records that are not JSON or do not fit the schema go to deadLetter with topic, partition, offset and raw bytes; without deadLetter the run fails naming them", async () => {
    await createTopic("json", 1);
    const values = ['{"page":"a","ms":1}', "not json", '{"page":"b","ms":2}', '{"page":7,"ms":"x"}', '{"page":"c","ms":3}'];
    await producer.send({ topic: "json", messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    const Click = schema({ page: t.string(), ms: t.int64() });
    const p = new Pipeline();
    const read = p.apply("Read", readKafka({ brokers: brokers(), topics: ["json"], format: "json", schema: Click, deadLetter: true, stopAt: "end" }));
    const main = collect(read.main, "Main");
    const letters = collect(read.deadLetter, "Letters");
    await new DirectRunner({ parallelism: 1 }).run(p);
    expect(main.rows.map((r) => [r.page, r.ms, r.offset]).sort()).toEqual([["a", 1, 0], ["b", 2, 2], ["c", 3, 4]]);
    // One dead-letter schema for every source: here with topic, partition, offset and the raw bytes.
    const dead = letters.rows.sort((a, b) => a.offset! - b.offset!);
    expect(dead.map((d) => [d.transform, d.topic, d.partition, d.offset, Buffer.from(d.raw!).toString(), d.element, d.file])).toEqual([
      ["Read", "json", 0, 1, "not json", '"not json"', null],
      ["Read", "json", 0, 3, '{"page":7,"ms":"x"}', JSON.stringify('{"page":7,"ms":"x"}'), null],
    ]);
    expect(dead[0].message).toMatch(/not a JSON object/);
    expect(dead[1].message).toMatch(/does not fit the schema/);

    const strict = new Pipeline();
    collect(strict.apply("Read", readKafka({ brokers: brokers(), topics: ["json"], format: "json", schema: Click, stopAt: "end" })));
    await expect(new DirectRunner({ parallelism: 1 }).run(strict)).rejects.toMatchObject({ code: "BL_KAFKA_UNDECODABLE", message: expect.stringContaining("json/0@1") });
  }, 60_000);

  test("idle partitions and instances do not hold the watermark: one-second windows fire, at parallelism 1 and 2", async () => {
    // Records at event times 1.0 s to 4.9 s, all in partition 0; partition 1 stays empty. At
    // parallelism 2 the partitions are read on different instances.
    await createTopic("idle", 2);
    await createTopic("single", 1);
    for (const topic of ["idle", "single"]) {
      await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: "a", value: String(i), partition: 0, timestamp: String(1000 + i * 100) })) });
    }
    const windows = async (topic: string, idleMs: number, parallelism: number, waitMs: number) => {
      const dir = tempDir();
      const run = startRun(windowedCounts, { brokers: brokers(), topic, output: path.join(dir, "out"), idleMs }, parallelism, dir);
      try {
        const deadline = Date.now() + waitMs;
        while (Date.now() < deadline && outputLines(dir, "out").length < 3) await new Promise((r) => setTimeout(r, 50));
        return outputLines(dir, "out").map((l) => JSON.parse(l) as { start: number; n: number }).map((w) => [w.start, w.n]).sort();
      } finally {
        await run.stop();
      }
    };
    // The watermark is the latest event time, 4.9 s: the windows at 1, 2 and 3 s are complete.
    const complete = [[1000, 10], [2000, 10], [3000, 10]];
    expect(await windows("idle", 300, 1, WAIT)).toEqual(complete);
    expect(await windows("idle", 300, 2, WAIT)).toEqual(complete);
    // An instance that reads no partition holds nothing back, idle timeout or not.
    expect(await windows("single", 0, 2, WAIT)).toEqual(complete);
    // Without idleness the empty partition holds the watermark at the start of time: nothing fires.
    expect(await windows("idle", 0, 2, 1500)).toEqual([]);
  }, 60_000);

  test("a broker stopped and started again mid-run is waited for: every record before and after is read once", async () => {
    await createTopic("restart", 2);
    const before = await produce("restart", 300);
    const dir = tempDir();
    const run = startRun(kafkaToFiles, { brokers: brokers(), topics: "restart", output: path.join(dir, "out"), bounded: false }, 1, dir);
    try {
      await waitFor("the records before the restart", () => (lines(dir).length === before.length ? true : undefined));
      await broker().restart({ downMs: 500 });
      // An idempotent producer: a send retried across the restart is not written twice.
      const again = idempotent();
      await again.connect();
      const after = await produce("restart", 300, 300, undefined, again).finally(() => again.disconnect());
      const read = await waitFor("the records after the restart", () => {
        const r = lines(dir);
        return r.length >= before.length + after.length ? r : undefined;
      });
      expect(keyValues(read)).toEqual([...before, ...after].sort());
      expectNoDuplicates(read);
      const ends = await endOffsets("restart");
      expect(read.length).toBe([...ends.values()].reduce((a, b) => a + b, 0));
    } finally {
      expect(await run.stop()).toBe("BL_CANCELLED");
    }
  }, 60_000);
});

