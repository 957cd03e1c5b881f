/**
 * Kafka on a Flink session cluster with Flink's checkpointing: an unbounded readKafka with a consumer
 * group, run with `--checkpoint-dir` and `--checkpoint-interval`, commits the group's offsets once
 * Flink's checkpoints complete (Beam's Flink runner finalizes bundles then); and Kafka → Kafka
 * exactly-once (Flink gives the writer stable input: each shard's rows numbered in its state and
 * written in transactions that commit the shard's next number), whose TaskManager process is killed
 * (SIGKILL) mid-run and replaced, restores from Flink's last completed checkpoint and leaves every
 * record's result exactly once, read read_committed.
 */
import { BeamlineError, map, Pipeline, readKafka, runPipeline, schema, t, writeKafka, type PortableRunOptions } from "beamline";
import { clusterJobs, FlinkCluster } from "../../runners/flink/flink";
import { tempDir } from "../helpers";
import { consoleConsume } from "./kafka-tools";
import { kafkaClients, until } from "./kafka-clients";
import { describeWithFlinkCluster, describeWithKafka, type FlinkClusterServices } from "./services";

const Item = schema({ id: t.int64(), ts: t.float64() });
const BASE = Date.parse("2026-03-01T00:00:00Z");

/** A JSON document of the cluster's REST API. */
async function rest<T>(cluster: FlinkCluster, route: string): Promise<T> {
  const r = await fetch(`http://${cluster.restEndpoint}${route}`, { signal: AbortSignal.timeout(10_000) });
  return (await r.json()) as T;
}

describeWithKafka("Kafka on a Flink session cluster with checkpoints", (broker) => {
  const bootstrap = () => broker().bootstrapServers;
  const { admin, producer, topic } = kafkaClients(bootstrap);

  async function produce(name: string, from: number, to: number): Promise<void> {
    const messages = Array.from({ length: to - from }, (_, k) => ({ key: `k${(from + k) % 17}`, value: JSON.stringify({ id: from + k, ts: BASE + (from + k) * 10 }) }));
    for (let i = 0; i < messages.length; i += 500) {
      // A topic just created may not be known to its leader yet: asked again, for at most 10 s.
      for (let attempt = 0; ; attempt++) {
        try {
          await producer().send({ topic: name, messages: messages.slice(i, i + 500) });
          break;
        } catch (e) {
          if (attempt >= 20 || !(e as { retriable?: boolean }).retriable) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  }

  /** The end offset of each partition of `name`, and the offsets `groupId` committed there. */
  async function offsets(name: string, groupId: string): Promise<{ ends: number[]; committed: number[] }> {
    const ends = (await admin().fetchTopicOffsets(name)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
    const [group] = await admin().fetchOffsets({ groupId, topics: [name] });
    const committed = group.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    return { ends, committed };
  }

  /** The ids of the results `topic` holds, read read_committed, in the order read. */
  function resultIds(topic: string): number[] {
    return consoleConsume(bootstrap(), topic, 2000).map((r) => Number((JSON.parse(r.value) as { id: string }).id));
  }

  /** Reads `input` (as group `groupId`), doubles each id, writes `output` with `semantics` (exactly-once: in 2 shards, transactional ids `<output>-eos-seq-<shard>`). */
  function doubling(input: string, output: string, groupId: string, semantics: "at-least-once" | "exactly-once" = "at-least-once"): Pipeline {
    const p = new Pipeline();
    p.apply("Read", readKafka({ brokers: bootstrap(), topics: [input], format: "json", schema: Item, eventTime: "ts", groupId }))
      .apply("Double", map((row: { id: number }) => ({ id: String(row.id), twice: row.id * 2 })))
      .apply("Write", writeKafka({ brokers: bootstrap(), topic: output, key: "id", semantics, shards: 2, transactionalIdPrefix: `${output}-eos` }));
    return p;
  }

  /** The checkpoint counts of the cluster's running job. */
  async function checkpointCounts(cluster: FlinkCluster): Promise<{ completed: number; restored: number }> {
    const [job] = (await rest<{ jobs: { jid: string; state: string }[] }>(cluster, "/jobs/overview")).jobs.filter((j) => j.state === "RUNNING");
    return (await rest<{ counts: { completed: number; restored: number } }>(cluster, `/jobs/${job.jid}/checkpoints`)).counts;
  }

  /**
   * Runs `p` on the cluster (through the suite's job server, `--flink-master` the cluster) with
   * checkpoints every second until `body` returns (or throws), then cancels the run; resolves to what
   * `body` returned. `ended()` says whether the run ended by itself meanwhile. The cancelled run leaves
   * no job of the cluster running (Beam's job server cancels only its own invocation; the runner
   * cancels the cluster's job through Flink's REST API).
   */
  async function whileRunning<T>(p: Pipeline, s: FlinkClusterServices, options: Partial<PortableRunOptions>, body: (ended: () => boolean) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    const run = runPipeline(p, {
      runner: "flink",
      jobEndpoint: s.server.jobEndpoint,
      flinkMaster: s.cluster.restEndpoint,
      signal: abort.signal,
      onMessage: () => {},
      checkpoint: { dir: tempDir(), intervalMs: 1000 },
      ...options,
    }).then(() => null, (e: unknown) => e);
    let end: unknown = undefined;
    void run.then((e) => (end = e));
    try {
      const out = await body(() => end !== undefined);
      expect(end).toBeUndefined();
      return out;
    } finally {
      abort.abort();
      expect(((await run) as BeamlineError).code).toBe("BL_CANCELLED");
      const live = (await clusterJobs(s.cluster.restEndpoint)).filter((j) => !["CANCELED", "FINISHED", "FAILED"].includes(j.state));
      expect(live).toEqual([]);
    }
  }

  describeWithFlinkCluster("Flink session cluster", (services) => {
    test("an unbounded read with a consumer group, run with checkpoints: Flink's checkpoints complete and the group's offsets reach every partition's end", async () => {
      const { cluster } = services();
      const input = "ckpt-items";
      const output = "ckpt-out";
      const groupId = "ckpt-group";
      await topic(input, 3);
      await topic(output, 1);
      await produce(input, 0, 1000);
      const p = doubling(input, output, groupId);
      const { completed } = await whileRunning(p, services(), {}, async (ended) => {
        await until("the group's offsets at every partition's end", 150_000, async () => {
          if (ended()) return true;
          const o = await offsets(input, groupId).catch(() => null);
          return o !== null && o.committed.every((c, i) => c === o.ends[i]);
        });
        return checkpointCounts(cluster);
      });
      expect(completed).toBeGreaterThan(0);
      const o = await offsets(input, groupId);
      expect(o.committed).toEqual(o.ends);
      expect(o.ends.reduce((a, b) => a + b, 0)).toBe(1000);
      const ids = new Set(consoleConsume(bootstrap(), output).map((r) => (JSON.parse(r.value) as { id: number }).id));
      expect(ids.size).toBe(1000);
    }, 240_000);

    test("Kafka → Kafka exactly-once with the TaskManager process killed mid-run: the job restores from Flink's checkpoint, and read_committed output holds every record's result exactly once", async () => {
      const { cluster } = services();
      const input = "kill-items";
      const output = "kill-out";
      await topic(input, 3);
      await topic(output, 2);
      await produce(input, 0, 2000);
      const p = doubling(input, output, "kill-group", "exactly-once");
      /**
       * Rows the sink wrote exactly once: each shard's transactions commit the shard's next row number as
       * its group's offset. Null while a group's coordinator is not ready to answer.
       */
      const written = async (): Promise<number | null> => {
        let n = 0;
        for (const shard of [0, 1]) {
          const groups = await admin().fetchOffsets({ groupId: `${output}-eos-seq-${shard}`, topics: [output] }).catch(() => null);
          if (!groups) return null;
          n += Math.max(0, Number(groups[0].partitions.find((q) => q.partition === 0)?.offset ?? -1));
        }
        return n;
      };
      const { restored } = await whileRunning(p, services(), { restart: { kind: "fixed-delay", attempts: 10, delayMs: 1000 } }, async (ended) => {
        await until("the first committed results", 120_000, async () => ended() || ((await written()) ?? 0) > 0);
        await produce(input, 2000, 4000);
        await new Promise((r) => setTimeout(r, 1500));
        cluster.taskManager.child.kill("SIGKILL");
        await cluster.startTaskManager();
        await produce(input, 4000, 6000);
        // Polled through kafkajs: the console consumer runs synchronously and would stall the LOOPBACK
        // harness in this process.
        await until("6000 rows written", 150_000, async () => ended() || ((await written()) ?? 0) >= 6000);
        return checkpointCounts(cluster);
      });
      // The job restarted from a completed checkpoint (not from scratch).
      expect(restored).toBeGreaterThan(0);
      const ids = resultIds(output);
      expect(ids.length).toBe(6000);
      expect([...new Set(ids)].sort((a, b) => a - b)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
      expect(await written()).toBe(6000);
    }, 300_000);
  }, { heartbeatTimeoutMs: 15_000 });
});
