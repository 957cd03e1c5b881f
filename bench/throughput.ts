/**
 * The throughput cases of the benchmark (`npm run bench`, see run.ts): word count, sum per key, the
 * windowed aggregation, the portable word count and Kafka → Kafka, each by Beamline and its peers.
 *
 * For every case and implementation it starts one child process (so `peakRssMB` is that process's own),
 * and prints one JSON line to stdout: `{"case", "impl", "rows", "seconds", "rowsPerSec", "peakRssMB", ...}`.
 * Progress and the children's own output go to stderr; the caller prints the summary (summary.ts).
 * Inputs are generated under bench/data on first use; the Apache Beam baseline is installed into
 * bench/peers/apache-beam/node_modules on first use (a `"skipped"` line when that fails).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { countLabel, eventsArrowFile, eventsCsvFile, kvArrowFile, kvCsvFile, wordsFile } from "./data";
import { KAFKA_PARTITIONS, kafkaInput, kafkaOutputTopic, stopKafka } from "./kafka-to-kafka";
import type { ChildResult } from "./measure";
import { LOAD_TS, runChild as runChildIn } from "./run-child";
import { workerBundle } from "../runners/direct/parallel/worker-bundle";
import { ProvisioningError } from "../runners/portable/provision/cache";
import { wordCountClasspath } from "./wordcount-java";
import { ensureFlinkJobServer } from "../runners/flink/flink";
import { ensurePrism } from "../runners/prism/prism";

const ROOT = path.resolve(__dirname, "..");
const BEAM_DIR = path.join(__dirname, "peers", "apache-beam");
const BEAM_VERSION = "2.49.0";
/** The shortest time a portable word count measurement is given (Flink's start alone took 20–45 s under load). */
const PORTABLE_TIMEOUT_SECONDS = 300;
/** Heap limit of every child, so that no benchmark can take the machine's memory. */
const CHILD_HEAP_MB = 4096;

/** One measurement: a case run by one implementation. */
export interface Measurement {
  readonly case: string;
  readonly impl: string;
  /** `wordcount`, `sum-per-key` or `windowed` (the child's dispatch key, and the Beam baseline's script). */
  readonly kind: "wordcount" | "wordcount-portable" | "sum-per-key" | "windowed" | "kafka";
  readonly rows: number;
  /** Makes (on first use) and returns the input file (Kafka: the input topic). */
  readonly input: () => Promise<string>;
  /** Kafka: the broker and a fresh output topic for this measurement. */
  readonly kafka?: () => Promise<{ brokers: string; outputTopic: string }>;
  /** Fields added to the JSON line. */
  readonly extra?: Record<string, unknown>;
  /** Worker threads (Beamline's direct runner); 1 for the baselines. */
  readonly parallelism?: number;
  /** Beamline checkpoints this often (ms). */
  readonly checkpointIntervalMs?: number;
}

/** Beamline's direct runner at these parallelisms, each a measurement of its own (`beamline-direct-p<N>`). */
const BEAMLINE_PARALLELISM = [1, 2];

/** A JSON line of the output. */
export interface ResultLine {
  readonly case: string;
  readonly impl: string;
  readonly rows: number;
  readonly seconds?: number;
  readonly rowsPerSec?: number;
  readonly peakRssMB?: number;
  readonly skipped?: string;
  readonly error?: string;
  readonly [field: string]: unknown;
}

/** Which measurements a run makes and how long each child may take. */
export interface ThroughputOptions {
  /** The smaller sizes of `--quick`. */
  readonly quick: boolean;
  /** Case name prefixes (`--case`), or every case. */
  readonly cases: readonly string[] | null;
  /** Implementation name prefixes (`--impl`), or every implementation. */
  readonly impls: readonly string[] | null;
  /** Whether a `--quick` run includes the portable word count (it starts JVMs): when cases are named, and in `--all`. */
  readonly portable: boolean;
  /** The most seconds a child may take. */
  readonly timeoutSeconds: number;
}

/** The measurements of a run, in order (`portable`: see ThroughputOptions). Sizes: see bench/README.md. */
function plan(quick: boolean, portable: boolean): Measurement[] {
  const beam = `apache-beam-${BEAM_VERSION}`;
  const out: Measurement[] = [];
  const wordcount = (name: string, rows: number, beamRows: number) => {
    const input = () => wordsFile(rows);
    out.push({ case: name, impl: "plain-js", kind: "wordcount", rows, input });
    for (const parallelism of BEAMLINE_PARALLELISM) out.push({ case: name, impl: `beamline-direct-p${parallelism}`, kind: "wordcount", rows, input, parallelism });
    out.push({ case: name, impl: beam, kind: "wordcount", rows: beamRows, input: () => wordsFile(beamRows) });
  };
  wordcount("wordcount-1M", 1_000_000, 1_000_000);
  if (!quick) wordcount("wordcount-10M", 10_000_000, 5_000_000);
  // The word count on Prism and on an embedded Flink, beside Beam Java's own on the same Flink; a 1k-word
  // run shows each one's fixed cost (job service or JVM start, submission). See wordcount-portable.ts.
  const portableWordCount = (rows: number, parallelisms: readonly number[]) => {
    const name = `wordcount-portable-${countLabel(rows)}`;
    const input = () => wordsFile(rows);
    out.push({ case: name, impl: "plain-js", kind: "wordcount-portable", rows, input });
    out.push({ case: name, impl: "beamline-prism", kind: "wordcount-portable", rows, input });
    for (const parallelism of parallelisms) out.push({ case: name, impl: `beamline-flink-p${parallelism}`, kind: "wordcount-portable", rows, input, parallelism });
    for (const parallelism of parallelisms) out.push({ case: name, impl: `beam-java-flink-p${parallelism}`, kind: "wordcount-portable", rows, input, parallelism });
  };
  // --quick leaves them out (they start JVMs) unless --case asks for some case by name, or --all runs everything.
  if (quick) {
    if (portable) portableWordCount(100_000, [1]);
  } else {
    portableWordCount(1_000, [1]);
    portableWordCount(1_000_000, [1, 2]);
  }
  const kvRows = quick ? 1_000_000 : 10_000_000;
  const kvBeamRows = quick ? 300_000 : 2_000_000;
  for (const keys of [1000, 1_000_000]) {
    const name = `sum-per-key-${countLabel(keys)}`;
    const extra = { keys };
    const input = () => kvArrowFile(kvRows, keys);
    out.push({ case: name, impl: "plain-js", kind: "sum-per-key", rows: kvRows, input, extra });
    for (const parallelism of BEAMLINE_PARALLELISM) out.push({ case: name, impl: `beamline-direct-p${parallelism}`, kind: "sum-per-key", rows: kvRows, input, extra, parallelism });
    out.push({ case: name, impl: beam, kind: "sum-per-key", rows: kvBeamRows, input: () => kvCsvFile(kvBeamRows, keys), extra });
  }
  const events = quick ? 1_000_000 : 10_000_000;
  const eventsBeam = quick ? 300_000 : 3_000_000;
  const extra = { window: "1s", checkpoints: false };
  out.push({ case: "windowed-aggregation", impl: "plain-js", kind: "windowed", rows: events, input: () => eventsArrowFile(events), extra });
  for (const parallelism of BEAMLINE_PARALLELISM) {
    out.push({ case: "windowed-aggregation", impl: `beamline-direct-p${parallelism}`, kind: "windowed", rows: events, input: () => eventsArrowFile(events), extra, parallelism });
  }
  out.push({ case: "windowed-aggregation", impl: beam, kind: "windowed", rows: eventsBeam, input: () => eventsCsvFile(eventsBeam), extra });
  // The same aggregation with aligned checkpoints every second (plain JS takes none: it is the yardstick).
  const checkpointed = "windowed-aggregation-checkpointed";
  const every = { window: "1s", checkpoints: true, checkpointIntervalMs: 1000 };
  out.push({ case: checkpointed, impl: "plain-js", kind: "windowed", rows: events, input: () => eventsArrowFile(events), extra: { window: "1s", checkpoints: false } });
  for (const parallelism of BEAMLINE_PARALLELISM) {
    out.push({ case: checkpointed, impl: `beamline-direct-p${parallelism}`, kind: "windowed", rows: events, input: () => eventsArrowFile(events), extra: every, parallelism, checkpointIntervalMs: 1000 });
  }
  // Kafka → Kafka on the bundled broker (started only when this case is chosen): see kafka-to-kafka.ts.
  const records = quick ? 200_000 : 1_000_000;
  const topic = async () => (await kafkaInput(records)).topic;
  const kafka = (impl: string) => async () => ({ brokers: (await kafkaInput(records)).brokers, outputTopic: await kafkaOutputTopic(impl) });
  const k = { partitions: KAFKA_PARTITIONS };
  out.push({ case: "kafka-to-kafka", impl: "plain-js", kind: "kafka", rows: records, input: topic, kafka: kafka("plain-js"), extra: k });
  for (const parallelism of BEAMLINE_PARALLELISM) {
    for (const suffix of ["", "-at-least-once"]) {
      const impl = `beamline-direct-p${parallelism}${suffix}`;
      out.push({ case: "kafka-to-kafka", impl, kind: "kafka", rows: records, input: topic, kafka: kafka(impl), extra: k, parallelism, checkpointIntervalMs: suffix ? undefined : 1000 });
    }
  }
  return out;
}

let beamInstall: { ok: true } | { ok: false; reason: string } | null = null;

/** Installs the Apache Beam baseline on first use; the reason when it cannot be. */
function ensureBeam(): { ok: true } | { ok: false; reason: string } {
  if (beamInstall) return beamInstall;
  const installed = path.join(BEAM_DIR, "node_modules", "apache-beam", "package.json");
  const version = () => (fs.existsSync(installed) ? (JSON.parse(fs.readFileSync(installed, "utf8")) as { version: string }).version : null);
  if (version() !== BEAM_VERSION) {
    process.stderr.write(`bench: installing apache-beam@${BEAM_VERSION} into ${path.relative(ROOT, BEAM_DIR)}/node_modules (first use)\n`);
    const r = spawnSync("npm", ["install", "--prefix", BEAM_DIR, "--no-audit", "--no-fund"], { cwd: ROOT, stdio: ["ignore", 2, 2], timeout: 300_000 });
    if (r.error || r.status !== 0) {
      beamInstall = { ok: false, reason: `npm install of apache-beam@${BEAM_VERSION} failed (${r.error?.message ?? `exit code ${r.status}`}); is the npm registry reachable?` };
      return beamInstall;
    }
  }
  beamInstall = version() === BEAM_VERSION ? { ok: true } : { ok: false, reason: `apache-beam@${BEAM_VERSION} is not in ${path.relative(ROOT, BEAM_DIR)}/node_modules after npm install` };
  return beamInstall;
}

/** The command line of a measurement's child process. */
function command(m: Measurement, params: string): string[] {
  const node = [`--max-old-space-size=${CHILD_HEAP_MB}`];
  if (m.impl.startsWith("apache-beam")) {
    const script = { wordcount: "wordcount.js", "wordcount-portable": "", "sum-per-key": "sum_per_key.js", windowed: "windowed.js", kafka: "" }[m.kind];
    return [...node, path.join(BEAM_DIR, script), params];
  }
  return [...node, ...LOAD_TS, path.join(__dirname, "child.ts"), m.kind, m.impl.replace(/-p\d+(?=-|$)/, ""), params];
}

/** Whether an implementation is another project's (Apache Beam's): its failure is a skipped line, not an error of Beamline's. */
const isPeer = (impl: string) => impl.startsWith("apache-beam") || impl.startsWith("beam-java");

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

async function measure(m: Measurement, timeoutSeconds: number, tmp: string): Promise<ResultLine> {
  const base = { case: m.case, impl: m.impl, rows: m.rows };
  if (m.impl.startsWith("apache-beam")) {
    const beam = ensureBeam();
    if (!beam.ok) return { ...base, ...m.extra, skipped: beam.reason };
  }
  const tools = provisioned.get(m.impl.replace(/-p\d+$/, ""));
  if (tools && !tools.ok) return { ...base, ...m.extra, [isPeer(m.impl) ? "skipped" : "error"]: tools.reason };
  let input: string;
  let kafka: { brokers: string; outputTopic: string } | undefined;
  try {
    input = await m.input();
    kafka = await m.kafka?.();
  } catch (e) {
    if (e instanceof ProvisioningError) return { ...base, ...m.extra, skipped: `no Kafka broker: ${e.message}` };
    throw e;
  }
  const outDir = fs.mkdtempSync(path.join(tmp, `${m.case}-${m.impl}-`));
  const resultFile = path.join(tmp, `${m.case}-${m.impl}.json`);
  process.stderr.write(`bench: ${m.case} / ${m.impl} (${m.rows} rows of ${path.relative(ROOT, input)})\n`);
  try {
    // The portable word count starts JVMs and Flink: at least PORTABLE_TIMEOUT_SECONDS, whatever --quick gives.
    const timeout = m.kind === "wordcount-portable" ? Math.max(timeoutSeconds, PORTABLE_TIMEOUT_SECONDS) : timeoutSeconds;
    const r = await runChildIn<ChildResult>(ROOT, command(m, JSON.stringify({ input, outDir, rows: m.rows, parallelism: m.parallelism ?? 1, checkpointIntervalMs: m.checkpointIntervalMs, ...kafka })), resultFile, timeout);
    if ("failure" in r) return { ...base, ...m.extra, [isPeer(m.impl) ? "skipped" : "error"]: r.failure };
    const { seconds, cpuSeconds, peakRssMB, outputRows, checksum } = r.result;
    return {
      case: m.case,
      impl: m.impl,
      rows: r.result.rows,
      seconds: round(seconds, 3),
      rowsPerSec: Math.round(r.result.rows / seconds),
      ...(cpuSeconds !== undefined ? { cpuSeconds: round(cpuSeconds, 3) } : {}),
      peakRssMB: round(peakRssMB, 1),
      parallelism: m.parallelism ?? 1,
      ...m.extra,
      ...r.result.report,
      outputRows,
      checksum,
      processSeconds: round(r.wallSeconds, 3),
      input: path.relative(ROOT, input),
    };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(resultFile, { force: true });
  }
}

/** What the portable word count's implementations need, provisioned before any measurement (so none is timed). */
const PROVISION: Record<string, () => unknown> = {
  "beamline-prism": () => ensurePrism(),
  "beamline-flink": () => ensureFlinkJobServer(),
  "beam-java-flink": () => wordCountClasspath(),
};
const provisioned = new Map<string, { ok: true } | { ok: false; reason: string }>();

/** Installs (or finds in the cache) Prism, the Flink job server and Beam Java's examples for the chosen measurements. */
function provision(chosen: readonly Measurement[]): void {
  for (const impl of new Set(chosen.map((m) => m.impl.replace(/-p\d+$/, "")))) {
    const step = PROVISION[impl];
    if (!step || provisioned.has(impl)) continue;
    try {
      step();
      provisioned.set(impl, { ok: true });
    } catch (e) {
      if (!(e instanceof ProvisioningError)) throw e;
      provisioned.set(impl, { ok: false, reason: `could not be provisioned: ${e.message}` });
    }
  }
}

/** Whether two results of a case computed the same output (when they read the same rows). */
function agreement(line: ResultLine, earlier: readonly ResultLine[]): Record<string, boolean> {
  const plain = earlier.find((e) => e.case === line.case && e.impl === "plain-js" && e.seconds !== undefined);
  if (!plain || line.impl === "plain-js" || line.seconds === undefined || plain.rows !== line.rows) return {};
  return { sameOutputAsPlainJs: plain.outputRows === line.outputRows && plain.checksum === line.checksum };
}

/** The module of each kind's Beamline pipeline definition (what a worker thread loads). */
const PIPELINE_MODULES: Record<Measurement["kind"], string> = {
  wordcount: path.join(ROOT, "examples", "wordcount.ts"),
  "wordcount-portable": path.join(ROOT, "examples", "wordcount.ts"),
  "sum-per-key": path.join(__dirname, "pipelines.ts"),
  windowed: path.join(__dirname, "pipelines.ts"),
  kafka: path.join(__dirname, "kafka-to-kafka.ts"),
};

/**
 * Builds the worker bundles the parallel measurements will load, as the inputs are made before any
 * measurement: a bundle is built once per version of the code (see runners/direct/parallel/worker-bundle.ts),
 * and no measurement should include that one-time build.
 */
function prepareWorkers(chosen: readonly Measurement[]): void {
  const modules = new Set(chosen.filter((m) => (m.parallelism ?? 1) > 1).map((m) => PIPELINE_MODULES[m.kind]));
  for (const file of modules) {
    if (!workerBundle(file)) process.stderr.write(`bench: no worker bundle for ${path.relative(ROOT, file)}; workers load it through tsx\n`);
  }
}

/** The measurements the options choose, in order (none when no case and implementation match). */
export function chooseMeasurements(o: ThroughputOptions): readonly Measurement[] {
  return plan(o.quick, o.portable).filter(
    (m) => (!o.cases || o.cases.some((c) => m.case.startsWith(c))) && (!o.impls || o.impls.some((i) => m.impl.startsWith(i))),
  );
}

/** Makes the chosen measurements one at a time, printing each one's JSON line to stdout; resolves to the lines. */
export async function runThroughput(chosen: readonly Measurement[], timeoutSeconds: number): Promise<ResultLine[]> {
  prepareWorkers(chosen);
  provision(chosen);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-bench-"));
  const lines: ResultLine[] = [];
  try {
    for (const m of chosen) {
      const line = await measure(m, timeoutSeconds, tmp);
      const full = { ...line, ...agreement(line, lines) };
      lines.push(full);
      process.stdout.write(`${JSON.stringify(full)}\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await stopKafka();
  }
  return lines;
}

/** Whether a run of the throughput cases failed: a Beamline or plain-JS run failed, or its output differs from plain JS's. */
export function throughputFailed(lines: readonly ResultLine[]): boolean {
  return lines.some((l) => l.error !== undefined || l.sameOutputAsPlainJs === false);
}
