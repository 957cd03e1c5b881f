/**
 * writeKafka's throughput on the bundled broker: 1M small keyed rows (`{id, n, parity}`, ~40-byte JSON
 * values, a header) at parallelism 1, exactly-once with checkpoints every 100 ms and at-least-once,
 * each run by the `beamline` command; rows/s is rows over the run's own reported time, and the topic
 * is read back to check every row arrived.
 *
 *   node --require ./runners/load/register.js bench/kafka-sink.ts [rows]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "../runners/services/kafka/kafka";

const ROOT = path.join(__dirname, "..");
const PIPELINE = path.join(ROOT, "test", "integration", "fixtures", "kafka-sink.ts");

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const broker = await startKafka();
  const kafka = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [semantics, extra] of [["exactly-once", ["--checkpoint-interval=100"]], ["at-least-once", []]] as const) {
      const topic = `bench-${semantics}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-kafka-bench-"));
      const args = [path.join(ROOT, "bin", "beamline.js"), "run", PIPELINE, `--brokers=${broker.bootstrapServers}`, `--topic=${topic}`, `--n=${rows}`,
        "--batch=8192", `--semantics=${semantics}`, "--parallelism=1", ...(semantics === "exactly-once" ? [`--checkpoint-dir=${dir}`, ...extra] : [])];
      const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 });
      fs.rmSync(dir, { recursive: true, force: true });
      const seconds = Number(/in ([\d.]+) s/.exec(r.stderr)?.[1] ?? NaN);
      const checkpoints = /checkpoints: (\d+) completed/.exec(r.stderr)?.[1] ?? "0";
      const offsets = await admin.fetchTopicOffsets(topic);
      const inLog = offsets.reduce((s, o) => s + Number(o.high), 0);
      console.log(`${semantics}: ${rows} rows in ${seconds} s = ${Math.round(rows / seconds)} rows/s at p1 (${checkpoints} checkpoints; ${inLog} offsets in the log incl. transaction markers; exit ${r.status})`);
      if (r.status !== 0) console.log(r.stderr.split("\n").slice(-10).join("\n"));
    }
  } finally {
    await admin.disconnect();
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
