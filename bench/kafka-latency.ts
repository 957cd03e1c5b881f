/**
 * The Kafka latency case (`npm run bench -- --case=kafka-latency`): how long a record takes from its
 * arrival to its output on a Kafka → map → Kafka pipeline at a fixed rate, with checkpoints every second.
 *
 * The harness starts the bundled broker once. For each measurement (parallelism 1, 2, and 2 with a keyed
 * step; exactly-once and at-least-once; at `--rate` records/s, default 5,000) it creates a fresh input and output topic (3 partitions each), joins a
 * kafkajs consumer to the output topic (`read_committed`), starts the pipeline in a child process
 * (kafka-latency-child.ts), and produces keyed records at a fixed rate from this process, each value
 * `"<seq> <Date.now() at send>"`. Once the first output record arrived, it waits a warm-up, then
 * measures records sent during a fixed window; it keeps producing for a moment after the window, waits
 * until every record sent was consumed (bounded), and stops the run (a final checkpoint).
 *
 * Latency of a record = the time this process's consumer received it (`Date.now()` when kafkajs hands
 * over its batch) − the time this process's producer handed it to its client (the value's timestamp):
 * one clock, so no skew. Checkpoint figures over the window come from the run's Prometheus endpoint,
 * scraped at the window's start and end: checkpoints completed, their mean duration (trigger to
 * manifest), and `beamline_checkpoint_alignment_seconds_total` (time sources held their input for a
 * barrier within one thread, and time an exchange between threads held the links whose barrier came
 * first, counted for the transform it feeds).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from "kafkajs";
import { startKafka, type KafkaBroker } from "../runners/services/kafka/kafka";
import { ProvisioningError } from "../runners/portable/provision/cache";
import { workerBundle } from "../runners/direct/parallel/worker-bundle";
import type { LatencyChildParams, LatencyChildResult } from "./kafka-latency-child";
import { percentiles } from "./percentiles";
import { metricSum } from "./prometheus-text";
import { LOAD_TS, runChild } from "./run-child";

const ROOT = path.resolve(__dirname, "..");
const CASE = "kafka-latency";
/** Partitions of each input and output topic. */
const PARTITIONS = 3;
const CHECKPOINT_INTERVAL_MS = 1000;
/** Records per second produced, unless `--rate` says otherwise: what this 2-core machine sustains beside the broker and other work. */
const DEFAULT_RATE = 5000;
/**
 * The timeline of a measurement (ms): a warm-up after the first output record; the measured window
 * (records sent during it are the sample; 5 s with `--quick`); production going on after it, so that
 * the window's last records are not the stream's last.
 */
const TIMELINE = { warmupMs: 5000, windowMs: 20_000, quickWindowMs: 5000, cooldownMs: 1000 };
/** The most each wait takes (ms): the consumer's group join, the first output record, every record's output, a scrape. */
const WAIT_MS = { join: 30_000, firstOutput: 60_000, drain: 20_000, scrape: 5000 };
/** The child is killed after this long, whatever happens. */
const CHILD_TIMEOUT_S = 150;
/** How often the producer tops up to its rate (ms), the most records one request holds, and the most requests in flight. */
const PRODUCE_TICK_MS = 5;
const MAX_PER_REQUEST = 2000;
const MAX_IN_FLIGHT = 8;

/** One JSON line of the case (the harness's `ResultLine` shape). */
export type LatencyLine = { readonly case: string; readonly impl: string; readonly rows: number; readonly [field: string]: unknown };

type Semantics = "exactly-once" | "at-least-once";

interface Measurement {
  readonly parallelism: number;
  readonly semantics: Semantics;
  readonly keyed: boolean;
  readonly rate: number;
}

/** A measurement's name on its JSON line: `beamline-direct-p<N>[-keyed][-at-least-once]`. */
function implName(m: Measurement): string {
  return `beamline-direct-p${m.parallelism}${m.keyed ? "-keyed" : ""}${m.semantics === "at-least-once" ? "-at-least-once" : ""}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `done()` holds, polling, or fails after `ms` saying `what`; stops early when `abandon()` gives a reason. */
async function waitUntil(done: () => boolean, ms: number, what: string, abandon: () => string | null): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    const reason = abandon();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(20);
  }
}

/** Produces keyed records at `rate` per second to `topic`, each value `"<seq> <send ms>"`, until stopped. */
class RateProducer {
  /** Records handed to the client so far (the next record's seq). */
  sent = 0;
  failure: Error | null = null;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly producer: Producer, private readonly topic: string, private readonly rate: number) {}

  start(): void {
    const t0 = performance.now();
    this.timer = setInterval(() => {
      if (this.inFlight >= MAX_IN_FLIGHT) return;
      const due = Math.floor((this.rate * (performance.now() - t0)) / 1000) - this.sent;
      if (due <= 0) return;
      const n = Math.min(due, MAX_PER_REQUEST);
      const now = Date.now();
      const messages = new Array<{ key: string; value: string }>(n);
      for (let i = 0; i < n; i++) messages[i] = { key: `k${(this.sent + i) % 1000}`, value: `${this.sent + i} ${now}` };
      this.sent += n;
      this.inFlight++;
      this.producer.send({ topic: this.topic, messages, acks: 1 }).then(
        () => this.inFlight--,
        (e: Error) => {
          this.inFlight--;
          this.failure ??= e;
        },
      );
    }, PRODUCE_TICK_MS);
  }

  /** Stops producing and waits (bounded) for the requests in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await waitUntil(() => this.inFlight === 0, 10_000, "the producer's last requests", () => null).catch(() => {});
  }
}

/** What the consumer saw: each seq's latency (ms; NaN until seen) and how many records came twice. */
class Receipts {
  latency = new Float64Array(1 << 20).fill(NaN);
  distinct = 0;
  duplicates = 0;

  add(value: string, now: number): void {
    // "out <seq> <send ms>[ <count per key>]"
    const [, seqText, sentText] = value.split(" ", 3);
    const seq = Number(seqText);
    const sentAt = Number(sentText);
    if (seq >= this.latency.length) {
      const grown = new Float64Array(Math.max(seq + 1, this.latency.length * 2)).fill(NaN);
      grown.set(this.latency);
      this.latency = grown;
    }
    if (!Number.isNaN(this.latency[seq])) this.duplicates++;
    else {
      this.latency[seq] = now - sentAt;
      this.distinct++;
    }
  }
}

async function scrape(urlFile: string): Promise<string> {
  const url = fs.readFileSync(urlFile, "utf8");
  const res = await fetch(url, { signal: AbortSignal.timeout(WAIT_MS.scrape) });
  if (!res.ok) throw new Error(`scraping ${url}: HTTP ${res.status}`);
  return res.text();
}

/** The checkpoint figures of a run's metrics text. */
function checkpointFigures(text: string): { checkpoints: number; alignmentMs: number; durationMs: number } {
  return {
    checkpoints: metricSum(text, "beamline_checkpoints_total"),
    alignmentMs: metricSum(text, "beamline_checkpoint_alignment_seconds_total") * 1000,
    durationMs: metricSum(text, "beamline_checkpoint_duration_seconds_total") * 1000,
  };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One measurement: topics, consumer, child, producer; its JSON line. */
async function measure(kafka: Kafka, brokers: string, m: Measurement, windowMs: number, tmp: string): Promise<LatencyLine> {
  const impl = implName(m);
  const name = `${impl}-${m.rate}`;
  const input = `latency-in-${name}`;
  const output = `latency-out-${name}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const params: LatencyChildParams = {
    brokers, input, output, semantics: m.semantics, parallelism: m.parallelism, keyed: m.keyed, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    checkpointDir: path.join(dir, "checkpoints"), stopFile: path.join(dir, "stop"), metricsUrlFile: path.join(dir, "metrics-url"),
  };
  const receipts = new Receipts();
  const consumer: Consumer = kafka.consumer({ groupId: `latency-${name}`, readUncommitted: false, maxWaitTimeInMs: 50, maxBytesPerPartition: 1 << 20 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let rate: RateProducer | null = null;
  let child: ReturnType<typeof runChild<LatencyChildResult>> | null = null;
  let childEnded: string | null = null;
  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    let consumerFailure: string | null = null;
    consumer.on(consumer.events.CRASH, (e) => (consumerFailure = String(e.payload.error)));
    await consumer.subscribe({ topics: [output], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) if (message.value) receipts.add(message.value.toString("utf8"), now);
      },
    });
    await waitUntil(() => joined, WAIT_MS.join, "the consumer joining its group", () => consumerFailure);

    process.stderr.write(`bench: ${CASE} / ${impl} at ${m.rate} records/s\n`);
    const resultFile = path.join(dir, "result.json");
    const childStarted = Date.now();
    child = runChild<LatencyChildResult>(ROOT, [...LOAD_TS, path.join(__dirname, "kafka-latency-child.ts"), JSON.stringify(params)], resultFile, CHILD_TIMEOUT_S);
    void child.then((r) => (childEnded = "failure" in r ? r.failure : "the run ended before it was stopped"));
    const trouble = () => childEnded ?? consumerFailure ?? (rate?.failure ? `the producer failed: ${rate.failure.message}` : null);

    rate = new RateProducer(producer, input, m.rate);
    rate.start();
    await waitUntil(() => receipts.distinct > 0, WAIT_MS.firstOutput, "the first output record", trouble);
    const firstOutputAfterMs = Date.now() - childStarted;
    await waitUntil(() => fs.existsSync(params.metricsUrlFile), 10_000, "the run's metrics endpoint", trouble);
    await sleep(TIMELINE.warmupMs);
    const before = checkpointFigures(await scrape(params.metricsUrlFile));
    const from = rate.sent;
    const windowStart = performance.now();
    await sleep(windowMs);
    const to = rate.sent;
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const after = checkpointFigures(await scrape(params.metricsUrlFile));
    await sleep(TIMELINE.cooldownMs);
    await rate.stop();
    const produced = rate.sent;
    const drainStart = Date.now();
    const drained = await waitUntil(() => receipts.distinct >= produced, WAIT_MS.drain, "the output of every record", trouble).then(() => true, () => false);
    const drainMs = Date.now() - drainStart;

    fs.writeFileSync(params.stopFile, "");
    const r = await child;
    child = null;
    if ("failure" in r) throw new Error(`the pipeline: ${r.failure}`);

    const sample = receipts.latency.subarray(from, to);
    const seen = sample.filter((x) => !Number.isNaN(x));
    const [p50, p90, p99, max] = percentiles(seen, [0.5, 0.9, 0.99, 1]);
    const checkpoints = after.checkpoints - before.checkpoints;
    const alignmentMs = after.alignmentMs - before.alignmentMs;
    return {
      case: CASE,
      impl,
      rows: to - from,
      parallelism: m.parallelism,
      semantics: m.semantics,
      keyed: m.keyed,
      checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
      partitions: PARTITIONS,
      targetRatePerSec: m.rate,
      seconds: round(windowSeconds, 3),
      rowsPerSec: Math.round((to - from) / windowSeconds),
      p50Ms: p50,
      p90Ms: p90,
      p99Ms: p99,
      maxMs: max,
      meanMs: round(seen.reduce((s, x) => s + x, 0) / seen.length),
      windowRecordsSeen: seen.length,
      inputRecords: produced,
      outputRecords: receipts.distinct,
      duplicates: receipts.duplicates,
      keptUp: drained && receipts.distinct === produced && seen.length === to - from,
      drainMs,
      windowCheckpoints: checkpoints,
      windowAlignmentMs: round(alignmentMs),
      alignmentMsPerCheckpoint: checkpoints > 0 ? round(alignmentMs / checkpoints) : null,
      checkpointMeanMs: checkpoints > 0 ? round((after.durationMs - before.durationMs) / checkpoints) : null,
      runCheckpoints: r.result.checkpointsCompleted,
      runAlignmentMs: round(r.result.alignmentMs),
      runState: r.result.state,
      firstOutputAfterMs,
    };
  } finally {
    if (child) {
      fs.writeFileSync(params.stopFile, "");
      await child;
    }
    await rate?.stop();
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The start of a line for a measurement that gave no figures (skipped, or failed). */
function unmeasured(m: Measurement): LatencyLine {
  return { case: CASE, impl: implName(m), rows: 0, semantics: m.semantics, targetRatePerSec: m.rate };
}

/** Prints the case's summary to stderr. */
export function printLatencySummary(lines: readonly LatencyLine[]): void {
  const out = ["", `== ${CASE}: ms from the producer's send to the consumer's receipt (read_committed), checkpoints every ${CHECKPOINT_INTERVAL_MS} ms ==`];
  for (const l of lines) {
    const what = l.error !== undefined ? `ERROR: ${String(l.error)}` : l.skipped !== undefined ? `skipped: ${String(l.skipped)}`
      : `${l.rowsPerSec}/s  p50 ${l.p50Ms}  p90 ${l.p90Ms}  p99 ${l.p99Ms}  max ${l.maxMs}  kept up: ${l.keptUp}  alignment ${l.alignmentMsPerCheckpoint} ms/checkpoint (${l.windowCheckpoints} checkpoints)`;
    out.push(`  ${l.impl} @ ${String(l.targetRatePerSec ?? "")}/s: ${what}`);
  }
  process.stderr.write(`${out.join("\n")}\n\n`);
}

/**
 * Runs the case: every measurement's JSON line goes to `emit` as it is made; the broker is stopped at
 * the end, also on failure. Resolves to the lines (the caller prints `printLatencySummary`).
 */
export async function runKafkaLatency({ quick, rate = null }: { quick: boolean; rate?: number | null }, emit: (line: LatencyLine) => void): Promise<LatencyLine[]> {
  const plan: Measurement[] = [];
  // Without a keyed step each thread runs the whole chain and barriers have one input to align; with
  // it at parallelism 2 rows change threads by key, and every keyed instance aligns barriers from both.
  for (const [parallelism, keyed] of [[1, false], [2, false], [2, true]] as const) {
    for (const semantics of ["exactly-once", "at-least-once"] as const) plan.push({ parallelism, semantics, keyed, rate: rate ?? DEFAULT_RATE });
  }
  const lines: LatencyLine[] = [];
  let broker: KafkaBroker;
  try {
    broker = await startKafka();
  } catch (e) {
    if (!(e instanceof ProvisioningError)) throw e;
    for (const m of plan) {
      const line = { ...unmeasured(m), skipped: `no Kafka broker: ${e.message}` };
      lines.push(line);
      emit(line);
    }
    return lines;
  }
  let tmp: string | null = null;
  try {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-latency-"));
    tmp = root;
    // Built before measuring, as throughput.ts does for its parallel cases: no measurement includes the one-time build.
    if (!workerBundle(path.join(__dirname, "kafka-latency-pipeline.ts"))) process.stderr.write("bench: no worker bundle for the latency pipeline; workers load it through tsx\n");
    const kafka = new Kafka({ clientId: "beamline-latency", brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
    for (const m of plan) {
      let line: LatencyLine;
      try {
        line = await measure(kafka, broker.bootstrapServers, m, quick ? TIMELINE.quickWindowMs : TIMELINE.windowMs, root);
      } catch (e) {
        line = { ...unmeasured(m), error: e instanceof Error ? e.message : String(e) };
      }
      lines.push(line);
      emit(line);
    }
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    await broker.stop();
  }
  return lines;
}
