/**
 * Kafka on a Flink session cluster with Flink's checkpointing: an unbounded readKafka with a consumer
 * group, run with `--checkpoint-dir` and `--checkpoint-interval`, commits the group's offsets once
 * Flink's checkpoints complete (Beam's Flink runner finalizes bundles then).
 */
import { BeamlineError, map, Pipeline, readKafka, schema, t, writeKafka } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { FlinkCluster } from "../../runners/flink/flink";
import { tempDir } from "../helpers";
import { consoleConsume } from "./kafka-tools";
import { kafkaClients, until } from "./kafka-clients";
import { describeWithFlinkCluster, describeWithKafka } from "./services";

const Item = schema({ id: t.int64(), ts: t.float64() });
const BASE = Date.parse("2026-03-01T00:00:00Z");


/** A JSON document of the cluster's REST API. */
async function rest<T>(cluster: FlinkCluster, route: string): Promise<T> {
  const r = await fetch(`http://${cluster.restEndpoint}${route}`, { signal: AbortSignal.timeout(10_000) });
  return (await r.json()) as T;
}

describeWithKafka("Kafka on a Flink session cluster with checkpoints", (broker) => {
  const bootstrap = () => broker().bootstrapServers;
  const { admin, producer } = kafkaClients(bootstrap);

  async function topic(name: string, partitions: number): Promise<void> {
    await admin().createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  }

  async function produce(name: string, from: number, to: number): Promise<void> {
    const messages = Array.from({ length: to - from }, (_, k) => ({ key: `k${(from + k) % 17}`, value: JSON.stringify({ id: from + k, ts: BASE + (from + k) * 10 }) }));
    for (let i = 0; i < messages.length; i += 500) await producer().send({ topic: name, messages: messages.slice(i, i + 500) });
  }

  /** The end offset of each partition of `name`, and the offsets `groupId` committed there. */
  async function offsets(name: string, groupId: string): Promise<{ ends: number[]; committed: number[] }> {
    const ends = (await admin().fetchTopicOffsets(name)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
    const [group] = await admin().fetchOffsets({ groupId, topics: [name] });
    const committed = group.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    return { ends, committed };
  }

  describeWithFlinkCluster("Flink session cluster", (services) => {
    test("an unbounded read with a consumer group, run with checkpoints: Flink's checkpoints complete and the group's offsets reach every partition's end", async () => {
      const { cluster, server } = services();
      const input = "ckpt-items";
      const output = "ckpt-out";
      const groupId = "ckpt-group";
      await topic(input, 3);
      await topic(output, 1);
      await produce(input, 0, 1000);
      const p = new Pipeline();
      p.apply("Read", readKafka({ brokers: bootstrap(), topics: [input], format: "json", schema: Item, eventTime: "ts", groupId }))
        .apply("Double", map((row: { id: number }) => ({ id: String(row.id), twice: row.id * 2 })))
        .apply("Write", writeKafka({ brokers: bootstrap(), topic: output, key: "id", semantics: "at-least-once" }));
      const abort = new AbortController();
      const run = new PortableRunner({
        jobEndpoint: server.jobEndpoint, runnerName: "flink", signal: abort.signal,
        checkpoint: { dir: tempDir(), intervalMs: 1000 },
      }).run(p).then(() => null, (e: unknown) => e);
      let ended: unknown = undefined;
      void run.then((e) => (ended = e));
      let completed = 0;
      try {
        await until("the group's offsets at every partition's end", 150_000, async () => {
          if (ended !== undefined) return true;
          const o = await offsets(input, groupId).catch(() => null);
          return o !== null && o.committed.every((c, i) => c === o.ends[i]);
        });
        expect(ended).toBeUndefined();
        const [job] = (await rest<{ jobs: { jid: string; state: string }[] }>(cluster, "/jobs/overview")).jobs.filter((j) => j.state === "RUNNING");
        completed = (await rest<{ counts: { completed: number } }>(cluster, `/jobs/${job.jid}/checkpoints`)).counts.completed;
      } finally {
        abort.abort();
      }
      expect(((await run) as BeamlineError).code).toBe("BL_CANCELLED");
      expect(completed).toBeGreaterThan(0);
      const o = await offsets(input, groupId);
      expect(o.committed).toEqual(o.ends);
      expect(o.ends.reduce((a, b) => a + b, 0)).toBe(1000);
      const ids = new Set(consoleConsume(bootstrap(), output).map((r) => (JSON.parse(r.value) as { id: number }).id));
      expect(ids.size).toBe(1000);
    }, 240_000);
  });
});
