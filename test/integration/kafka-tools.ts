/** Kafka's own Java tools, as the Kafka integration suites use them to read what Beamline wrote. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ensureKafka } from "../../runners/services/kafka/kafka";

/** One record as the console consumer prints it. */
export interface Read {
  readonly partition: number;
  readonly offset: number;
  readonly headers: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Runs Kafka's Java console consumer over `topic` from the beginning, read_committed, until no record
 * came for `idleMs`. It commits no offsets, so a rebalance would make it read records again: each
 * partition and offset is kept once, so what is returned is what the topic holds (a record a sink
 * wrote twice has two offsets, and is returned twice).
 */
export function consoleConsume(bootstrap: string, topic: string, idleMs = 4000): Read[] {
  const cp = ensureKafka().join(path.delimiter);
  const r = spawnSync("java", [
    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp, "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning", "--isolation-level", "read_committed", "--timeout-ms", String(idleMs),
    "--formatter-property", "print.partition=true", "--formatter-property", "print.offset=true", "--formatter-property", "print.headers=true", "--formatter-property", "print.key=true",
  ], { encoding: "utf8", maxBuffer: 256 << 20, timeout: 120_000 });
  if (r.status !== 0 && !/Processed a total/.test(r.stderr)) throw new Error(`console consumer failed: ${r.stderr}`);
  const read = r.stdout.split("\n").filter((l) => l.startsWith("Partition:")).map((l) => {
    const [p, o, headers, key, value] = l.split("\t");
    return { partition: Number(p.slice("Partition:".length)), offset: Number(o.slice("Offset:".length)), headers, key, value };
  });
  // A record at a partition and offset already read is the consumer reading again, not a second record.
  const seen = new Set<string>();
  return read.filter((x) => {
    const at = `${x.partition}@${x.offset}`;
    if (seen.has(at)) return false;
    seen.add(at);
    return true;
  });
}

