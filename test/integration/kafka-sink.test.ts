/**
 * writeKafka on a real broker, read back by Kafka's own Java console consumer in read_committed mode
 * (and by kafkajs): exactly-once runs at parallelism 1 and 2 with checkpoints every 100 ms write every
 * row once; a run killed between a checkpoint's barrier and its commit shows nothing until the resumed
 * run commits, then every row once; transactions a killed attempt left open are aborted on resume (and
 * by a new run under the same prefix) so read_committed readers are not blocked; at-least-once loses nothing; keys land in the partitions
 * Java's producer gives them; a transaction committed twice is done, an aborted one is a clear error;
 * the broker killed and restarted mid-run delays the run, which then writes every row once; with
 * deadLetter, a record too large for the topic and a key that is not a string reach the dead-letter
 * output once across a kill and resume, while every other row is written once.
 * kafkajs reads what the log holds read_uncommitted, to show records written but not yet committed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { IOError, rowsToRecordBatch, schema, t } from "beamline";
import { globalBatch } from "../../sdk/batch";
import { ensureKafka } from "../../runners/services/kafka/kafka";
import { KafkaSink } from "../../transforms/io/kafka/sink/kafka-sink";
import { checkWriteKafkaOptions } from "../../transforms/io/kafka/sink/options";
import type { KafkaCommittable } from "../../transforms/io/kafka/sink/transactions";
import { recoverSink } from "../../sdk/sink";
import { tempDir } from "../helpers";
import { startCli, type Exit } from "../runners/direct/checkpoint/children";
import { startService, waitForPort } from "../../runners/portable/provision/process";
import { consoleConsume, type Read } from "./kafka-tools";
import { describeWithKafka } from "./services";

const PIPELINE = path.join(__dirname, "fixtures", "kafka-sink.ts");

/** Every `k-<i>` for i below n, each once, and each record's value and header matching its key. */
function expectExactlyOnce(read: readonly Read[], n: number): void {
  const keys = read.map((r) => r.key).sort();
  const expected = Array.from({ length: n }, (_, i) => `k-${i}`).sort();
  expect(keys.length).toBe(n);
  expect(keys).toEqual(expected);
  for (const r of read.slice(0, 50)) {
    const row = JSON.parse(r.value) as { id: string; n: number; parity: string };
    expect(row.id).toBe(r.key);
    expect(r.headers).toBe(`parity:${row.n % 2 === 0 ? "even" : "odd"}`);
  }
}

describeWithKafka("writeKafka on a real broker", (broker) => {
  const bootstrap = () => broker().bootstrapServers;
  const root = tempDir("beamline-kafka-sink-");
  const kafka = () => new Kafka({ brokers: [bootstrap()], logLevel: logLevel.NOTHING });

  async function createTopic(topic: string, partitions = 3, configEntries: { name: string; value: string }[] = []): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  /** Runs the fixture pipeline with the `beamline` command; `checkpoints` names a directory to checkpoint into every 100 ms. */
  function run(topic: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
    return startCli(PIPELINE, [`--brokers=${bootstrap()}`, `--topic=${topic}`, ...args], env).exit;
  }

  test.each([1, 2])("exactly-once at parallelism %i, checkpoints every 100 ms: the console consumer reads every row once", async (parallelism) => {
    const topic = `exactly-once-p${parallelism}`;
    await createTopic(topic);
    const n = 6000;
    const exit = await run(topic, [`--n=${n}`, "--rate=10000", "--batch=200", `--shards=${parallelism}`, `--parallelism=${parallelism}`,
      `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"]);
    expect(exit.err).toMatch(/checkpoints: ([3-9]|\d\d+) completed/);
    expect(exit.code).toBe(0);
    const read = consoleConsume(bootstrap(), topic);
    expectExactlyOnce(read, n);
    expect(new Set(read.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
  }, 120_000);

  test("deadLetter: a record larger than max.message.bytes and a key that is not a string go to the dead-letter output once, across a kill and resume; every other row is written once", async () => {
    const topic = "dead-letters";
    await createTopic(topic, 3, [{ name: "max.message.bytes", value: "10000" }]);
    const n = 6000;
    const big = 300;
    const dir = path.join(root, topic);
    const args = [`--n=${n}`, "--rate=1500", "--batch=100", "--shards=2", `--checkpoint-dir=${path.join(dir, "checkpoints")}`, "--checkpoint-interval=100",
      `--dead-letters=${path.join(dir, "dead", "letters")}`, `--big=${big}`, "--pad=20000"];
    const killed = await run(topic, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "sink-commit:12" });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await run(topic, [...args, "--parallelism=2", "--resume"]);
    expect(resumed.code).toBe(0);

    const read = consoleConsume(bootstrap(), topic);
    const keys = read.map((r) => r.key).sort();
    expect(keys).toEqual(Array.from({ length: n }, (_, i) => `k-${i}`).filter((k) => k !== `k-${big}`).sort());
    const files = fs.readdirSync(path.join(dir, "dead"));
    const letters = files.flatMap((f) => fs.readFileSync(path.join(dir, "dead", f), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)));
    expect(letters).toHaveLength(2);
    const large = letters.find((l) => !/WrongKeys/.test(l.transform));
    expect(large.transform).toMatch(/^Write\b/);
    expect(large.topic).toBe(topic);
    expect(large.errorName).toBe("IOError");
    expect(large.message).toMatch(/larger than topic dead-letters's max\.message\.bytes \(10000\)/);
    expect(JSON.parse(large.element)).toMatchObject({ id: `k-${big}`, n: big });
    const wrongKey = letters.find((l) => /WriteWrongKeys/.test(l.transform));
    expect(wrongKey.topic).toBe(topic);
    expect(wrongKey.message).toMatch(/a record key is a string or bytes field/);
    expect(JSON.parse(wrongKey.element)).toMatchObject({ id: 7, n: -1 });
  }, 180_000);

  test("killed after a checkpoint completed, before its commit: its records stay invisible read_committed until the resumed run commits them, then every row once", async () => {
    const topic = "killed-before-commit";
    await createTopic(topic);
    const n = 6000;
    const args = [`--n=${n}`, "--rate=1500", "--batch=100", "--shards=2", `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"];
    // The fifth commit of the run: records flow by then, and that checkpoint's transactions are prepared, not committed.
    const killed = await run(topic, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "sink-commit:5" });
    expect(killed.signal).toBe("SIGKILL");
    const inLog = await readUncommitted(kafka(), topic);
    const visible = consoleConsume(bootstrap(), topic, 3000);
    expect(inLog.length).toBeGreaterThan(visible.length);
    expect(new Set(visible.map((r) => r.key)).size).toBe(visible.length);

    const resumed = await run(topic, [...args, "--parallelism=1", "--resume"]);
    expect(resumed.code).toBe(0);
    expectExactlyOnce(consoleConsume(bootstrap(), topic), n);
  }, 120_000);

  test("transactions a killed attempt left open are aborted on resume: read_committed readers are not blocked and read every row once", async () => {
    const topic = "lingering";
    await createTopic(topic);
    const n = 5000;
    const args = [`--n=${n}`, "--rate=8000", "--batch=200", "--shards=2", `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"];
    // Killed when checkpoint 2's state is written but not its manifest: the restore is checkpoint 1, and
    // the transactions prepared at barrier 2 (and any begun after it) stay open on the broker.
    const killed = await run(topic, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "checkpoint-files:2" });
    expect(killed.signal).toBe("SIGKILL");
    const before = consoleConsume(bootstrap(), topic, 3000).length;
    expect(before).toBeLessThan(n);
    const started = Date.now();
    const resumed = await run(topic, [...args, "--parallelism=2", "--resume"]);
    expect(resumed.code).toBe(0);
    // The transaction timeout is 15 minutes: reading everything now means the open ones were aborted.
    expectExactlyOnce(consoleConsume(bootstrap(), topic), n);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  test("a new run under the prefix of a killed one (not resumed) fences what that one left open: read_committed readers are not blocked", async () => {
    const topic = "restarted-fresh";
    await createTopic(topic);
    const n = 5000;
    const killed = await run(topic, [`--n=${n}`, "--rate=8000", "--batch=200", "--shards=2", "--parallelism=2", `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"],
      { BEAMLINE_FAULT: "checkpoint-files:3" });
    expect(killed.signal).toBe("SIGKILL");
    // Started over without checkpoints: its writers use id 1 only, and fence the ids after it the killed run left open.
    const again = await run(topic, [`--n=${n}`, "--shards=2", "--parallelism=2"]);
    expect(again.code).toBe(0);
    const read = consoleConsume(bootstrap(), topic);
    const keys = new Set(read.map((r) => r.key));
    for (let i = 0; i < n; i++) expect(keys.has(`k-${i}`)).toBe(true);
    // The killed run's completed checkpoints were committed, so their rows appear twice; none of its open transactions do.
    expect(read.length).toBeLessThan(2 * n);
  }, 120_000);

  test("at-least-once loses nothing", async () => {
    const topic = "at-least-once";
    await createTopic(topic);
    const n = 5000;
    const exit = await run(topic, [`--n=${n}`, "--semantics=at-least-once", "--parallelism=2", `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"]);
    expect(exit.code).toBe(0);
    const keys = new Set(consoleConsume(bootstrap(), topic).map((r) => r.key));
    for (let i = 0; i < n; i++) expect(keys.has(`k-${i}`)).toBe(true);
  }, 120_000);

  test("keys land in the partitions Java's console producer gives the same keys", async () => {
    const ours = "placement-beamline";
    const java = "placement-java";
    await createTopic(ours, 7);
    await createTopic(java, 7);
    const n = 300;
    expect((await run(ours, [`--n=${n}`])).code).toBe(0);
    const lines = Array.from({ length: n }, (_, i) => `k-${i}:${i}`).join("\n") + "\n";
    const produced = spawnSync("java", [
      "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ensureKafka().join(path.delimiter), "org.apache.kafka.tools.ConsoleProducer",
      "--bootstrap-server", bootstrap(), "--topic", java, "--reader-property", "parse.key=true", "--reader-property", "key.separator=:",
    ], { input: lines, encoding: "utf8", timeout: 120_000 });
    expect(produced.status).toBe(0);
    const partitionOf = (reads: Read[]) => new Map(reads.map((r) => [r.key, r.partition]));
    const javaPlacement = partitionOf(consoleConsume(bootstrap(), java));
    const ourPlacement = partitionOf(consoleConsume(bootstrap(), ours));
    expect(javaPlacement.size).toBe(n);
    expect(ourPlacement).toEqual(javaPlacement);
    expect(new Set(ourPlacement.values()).size).toBe(7);
  }, 120_000);

  test("a transaction committed twice is done; one aborted before its commit fails naming its id and transaction.timeout.ms", async () => {
    const topic = "commit-twice";
    await createTopic(topic, 1);
    const settings = checkWriteKafkaOptions({ brokers: bootstrap(), topic, semantics: "exactly-once", key: "id", transactionalIdPrefix: "twice" });
    const rows = schema({ id: t.string() });
    const batch = globalBatch(rowsToRecordBatch([{ id: "a" }, { id: "b" }], rows.arrow, "test"));
    const prepare = async (sink: KafkaSink): Promise<KafkaCommittable[]> => {
      const writer = await sink.createWriter({ index: 0, count: 1 });
      await writer.write(batch);
      return writer.prepareCommit(1);
    };
    const sink = new KafkaSink(settings);
    const first = await prepare(sink);
    expect(first).toMatchObject([{ shard: 0, next: 2, records: 2, transactionalId: "twice-0-1" }]);
    await sink.committer.commit(first);
    // A fresh process committing again (a resumed run's recovery): done, no error, no second copy.
    await new KafkaSink(settings).committer.commit(first);
    expect(consoleConsume(bootstrap(), topic, 3000).map((r) => r.key).sort()).toEqual(["a", "b"]);

    const other = new KafkaSink({ ...settings, transactionalIdPrefix: "aborted" });
    const prepared = await prepare(other);
    await other.committer.abort(prepared); // fenced and aborted, as the broker does when a transaction times out
    const failure = await other.committer.commit(prepared).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(IOError);
    expect((failure as IOError).code).toBe("BL_KAFKA_TRANSACTION_LOST");
    expect((failure as IOError).message).toContain("aborted-0-1");
    expect((failure as IOError).message).toContain("transaction.timeout.ms");
    expect(consoleConsume(bootstrap(), topic, 3000).map((r) => r.key).sort()).toEqual(["a", "b"]);
  }, 120_000);

  test("recovery commits the restored checkpoint's transaction and fences every later one, prepared or open: the LSO moves on", async () => {
    const topic = "recovery-fences";
    await createTopic(topic, 1);
    const settings = checkWriteKafkaOptions({ brokers: bootstrap(), topic, semantics: "exactly-once", key: "id", transactionalIdPrefix: "fences" });
    const rows = schema({ id: t.string() });
    const batchOf = (...ids: string[]) => globalBatch(rowsToRecordBatch(ids.map((id) => ({ id })), rows.arrow, "test"));
    // A first process: checkpoint 1 prepared (its checkpoint completed), checkpoint 2 prepared (not completed), more written after.
    const crashed = await new KafkaSink(settings).createWriter({ index: 0, count: 1 });
    await crashed.write(batchOf("a1", "a2"));
    const chk1 = await crashed.prepareCommit(1);
    await crashed.write(batchOf("b1"));
    await crashed.prepareCommit(2);
    await crashed.write(batchOf("c1"));
    await crashed.prepareCommit(3); // prepared at a barrier whose checkpoint never completed
    await crashed.write(batchOf("d1")); // open when the process died
    // A second process restores checkpoint 1, then writes and commits on.
    const sink = new KafkaSink(settings);
    const writer = await sink.createWriter({ index: 0, count: 1 });
    await recoverSink(sink, { checkpointId: 1, committables: chk1 });
    await writer.write(batchOf("e1"));
    await sink.committer.commit(await writer.prepareCommit(2));
    // Had any later transaction stayed open, read_committed would stop before e1 for 15 minutes.
    expect(consoleConsume(bootstrap(), topic, 3000).map((r) => r.key)).toEqual(["a1", "a2", "e1"]);
  }, 120_000);

  test("a topic that does not exist fails the run naming it and saying how to create it", async () => {
    const exit = await run("no-such-topic", ["--n=10"]);
    expect(exit.code).not.toBe(0);
    expect(exit.err).toContain("no-such-topic");
    expect(exit.err).toMatch(/writeKafka writes to an existing topic/);
  }, 120_000);

  // Last: it kills the suite's broker and starts it again on the same ports and data.
  test("the broker killed and restarted mid-run: the exactly-once run waits, retries, and writes every row once", async () => {
    const topic = "broker-restart";
    await createTopic(topic);
    const n = 8000;
    const child = startCli(PIPELINE, [`--brokers=${bootstrap()}`, `--topic=${topic}`, `--n=${n}`, "--rate=1000", "--batch=100", "--parallelism=2",
      `--checkpoint-dir=${path.join(root, topic)}`, "--checkpoint-interval=100"]);
    await sleep(2500);
    const old = broker().service.child;
    old.kill("SIGKILL");
    await new Promise((resolve) => (old.exitCode !== null || old.signalCode !== null ? resolve(null) : old.once("exit", resolve)));
    await sleep(2000);
    const { dir, logFile } = broker();
    const restarted = startService("kafka", "java", [
      "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m", `-Dlog4j2.configurationFile=${path.join(dir, "log4j2.properties")}`,
      "-cp", ensureKafka().join(path.delimiter), "kafka.Kafka", path.join(dir, "server.properties"),
    ], logFile);
    try {
      await waitForPort(restarted, Number(bootstrap().split(":")[1]), 90_000);
      const exit = await child.exit;
      if (exit.code !== 0) console.log(exit.err);
      expect(exit.err).not.toMatch(/BL_KAFKA/);
      expect(exit.code).toBe(0);
      expectExactlyOnce(consoleConsume(bootstrap(), topic), n);
    } finally {
      await restarted.stop();
    }
  }, 240_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The records of `topic` a kafkajs read_uncommitted consumer reads (the log's records, committed or not), until none came for 2 s. */
async function readUncommitted(kafka: Kafka, topic: string): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `uncommitted-${topic}-${Date.now()}`, readUncommitted: true, maxWaitTimeInMs: 200 });
  const keys: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(resolve, 5000);
      consumer.run({
        eachMessage: async ({ message }) => {
          keys.push(message.key!.toString());
          clearTimeout(idle);
          idle = setTimeout(resolve, 2000);
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return keys;
}
