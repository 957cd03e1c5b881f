/**
 * The Nexmark part of the benchmark: `npm run bench -- --nexmark [--quick] [--events=N] [--query=0,5,...] [--timeout=<s>]`.
 *
 * For each query it runs Beamline's direct runner at parallelism 1 and 2 and Beam Java's Nexmark
 * launcher on its direct runner, each in a child process over a bounded run of N generated events
 * (Beam's generator defaults in both), and prints one JSON line per measurement to stdout:
 * `{"case": "nexmark-q<N>", "impl", "events", "seconds", "eventsPerSec", "cpuSeconds", "eventsPerCpuSec", ...}`.
 * `eventsPerCpuSec` is events per second per core used (events over the CPU time of all the process's
 * threads), the measure of Flink's published "Throughput/Cores", which a closing table sets beside it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FLINK_EVENTS_PER_SEC_PER_CORE, FLINK_SOURCE } from "./nexmark-flink";
import { BEAM_JAVA_VERSION, ensureBeamJava, runBeamJava } from "./nexmark-java";
import { NEXMARK_QUERIES } from "./nexmark-pipelines";
import { LOAD_TS, runChild } from "./run-child";
import { workerBundle } from "../runners/direct/parallel/worker-bundle";

const ROOT = path.resolve(__dirname, "..");
const CHILD_HEAP_MB = 4096;
const PARALLELISM = [1, 2];
const USAGE = "usage: npm run bench -- --nexmark [--quick] [--events=<N>] [--query=<q>,...] [--timeout=<seconds per child>]";
/** Events per run: the full run's, and `--quick`'s (unless `--events` says otherwise). */
const EVENTS = { full: 1_000_000, quick: 20_000 };

/** A measurement's JSON line. */
interface NexmarkLine {
  readonly case: string;
  readonly impl: string;
  readonly events: number;
  readonly seconds?: number;
  readonly eventsPerSec?: number;
  readonly cpuSeconds?: number;
  readonly eventsPerCpuSec?: number;
  readonly results?: number;
  readonly peakRssMB?: number;
  readonly skipped?: string;
  readonly error?: string;
  /** At parallelism 2: whether the query gave as many results as at parallelism 1. */
  readonly sameResultsAsP1?: boolean;
}

interface Args {
  readonly events: number;
  readonly queries: readonly string[];
  readonly timeoutSeconds: number;
}

function parseArgs(argv: readonly string[]): Args {
  let events: number | null = null;
  let quick = false;
  let queries: readonly string[] = NEXMARK_QUERIES;
  let timeoutSeconds = 600;
  for (const a of argv) {
    const [name, value] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, ""];
    if (name === "--nexmark") continue;
    if (name === "--quick") quick = true;
    else if (name === "--events" && Number.isSafeInteger(Number(value)) && Number(value) > 0) events = Number(value);
    else if (name === "--query" && value && value.split(",").every((q) => (NEXMARK_QUERIES as readonly string[]).includes(q))) queries = value.split(",");
    else if (name === "--timeout" && Number(value) > 0) timeoutSeconds = Number(value);
    else {
      process.stderr.write(`bench: "${a}" is not an option of the Nexmark benchmark (queries: ${NEXMARK_QUERIES.join(",")}).\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return { events: events ?? (quick ? EVENTS.quick : EVENTS.full), queries, timeoutSeconds };
}

interface ChildOutput {
  readonly events: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly results: number;
  readonly peakRssMB: number;
}

/** Runs one Beamline measurement in a child process. */
async function runBeamline(query: string, events: number, parallelism: number, timeoutSeconds: number, tmp: string): Promise<ChildOutput | { failure: string }> {
  const resultFile = path.join(tmp, `q${query}-p${parallelism}.json`);
  const args = [`--max-old-space-size=${CHILD_HEAP_MB}`, ...LOAD_TS, path.join(__dirname, "nexmark-child.ts"), JSON.stringify({ query, events, parallelism })];
  const r = await runChild<ChildOutput>(ROOT, args, resultFile, timeoutSeconds);
  return "failure" in r ? r : r.result;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function measured(base: { case: string; impl: string; events: number }, seconds: number, cpuSeconds: number, extra: Partial<NexmarkLine> = {}): NexmarkLine {
  return {
    ...base,
    seconds: round(seconds, 3),
    eventsPerSec: Math.round(base.events / seconds),
    cpuSeconds: round(cpuSeconds, 3),
    eventsPerCpuSec: Number.isFinite(cpuSeconds) && cpuSeconds > 0 ? Math.round(base.events / cpuSeconds) : undefined,
    ...extra,
  };
}

/** The closing table: events/s and events per CPU-second per implementation, with Flink's published figure. */
function printTable(lines: readonly NexmarkLine[], queries: readonly string[], events: number): void {
  const impls = [...new Set(lines.map((l) => l.impl))];
  const cell = (l: NexmarkLine | undefined) => (!l ? "-" : l.eventsPerSec !== undefined ? `${l.eventsPerSec} (${l.eventsPerCpuSec ?? "?"}/core)` : l.skipped ? "skipped" : "error");
  const header = ["query", ...impls.map((i) => `${i} ev/s (per core)`), "Flink published ev/s per core"];
  const rows = queries.map((q) => [`q${q}`, ...impls.map((i) => cell(lines.find((l) => l.case === `nexmark-q${q}` && l.impl === i))), String(FLINK_EVENTS_PER_SEC_PER_CORE[q] ?? "no figure")]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join("  ");
  process.stderr.write(`\nNexmark, ${events} events per run (bounded), ${os.cpus().length} cores on this machine\n${fmt(header)}\n${rows.map(fmt).join("\n")}\n`);
  process.stderr.write(`Flink: ${FLINK_SOURCE}; its queries are Flink SQL over a generator at 10 M events/s on 8 cores, not the same run.\n`);
  for (const reason of new Set(lines.filter((x) => x.skipped).map((x) => x.skipped))) {
    const which = lines.filter((x) => x.skipped === reason).map((x) => `${x.case}/${x.impl}`);
    process.stderr.write(`skipped ${which.length === 1 ? which[0] : `${which.length} runs (${[...new Set(lines.filter((x) => x.skipped === reason).map((x) => x.impl))].join(", ")})`}: ${reason}\n`);
  }
}

/** A finished Nexmark run: its JSON lines, whether a Beamline run failed, and its closing table. */
export interface NexmarkRun {
  readonly lines: readonly NexmarkLine[];
  readonly failed: boolean;
  /** Prints the closing table to stderr. */
  readonly printSummary: () => void;
}

/** Runs the Nexmark benchmark with the command line's arguments, printing each JSON line to stdout as it is made. */
export async function runNexmark(argv: readonly string[]): Promise<NexmarkRun> {
  const args = parseArgs(argv);
  if (!workerBundle(path.join(__dirname, "nexmark-pipelines.ts"))) process.stderr.write("bench: no worker bundle for bench/nexmark-pipelines.ts; workers load it through tsx\n");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-nexmark-"));
  const lines: NexmarkLine[] = [];
  const emit = (l: NexmarkLine) => {
    lines.push(l);
    process.stdout.write(`${JSON.stringify(l)}\n`);
  };
  const java = `beam-java-${BEAM_JAVA_VERSION}-direct`;
  try {
    for (const query of args.queries) {
      const name = `nexmark-q${query}`;
      for (const parallelism of PARALLELISM) {
        const base = { case: name, impl: `beamline-direct-p${parallelism}`, events: args.events };
        process.stderr.write(`bench: ${name} / ${base.impl} (${args.events} events)\n`);
        const r = await runBeamline(query, args.events, parallelism, args.timeoutSeconds, tmp);
        const p1 = lines.find((l) => l.case === name && l.impl === "beamline-direct-p1" && l.results !== undefined);
        const same = parallelism > 1 && p1 && !("failure" in r) ? { sameResultsAsP1: p1.results === r.results } : {};
        emit("failure" in r ? { ...base, error: r.failure } : measured(base, r.seconds, r.cpuSeconds, { results: r.results, peakRssMB: round(r.peakRssMB, 1), ...same }));
      }
      const base = { case: name, impl: java, events: args.events };
      const beam = ensureBeamJava();
      if (!beam.ok) {
        emit({ ...base, skipped: beam.reason });
        continue;
      }
      process.stderr.write(`bench: ${name} / ${java} (${args.events} events)\n`);
      const r = runBeamJava(query, args.events, args.timeoutSeconds);
      emit("failure" in r ? { ...base, skipped: r.failure } : measured(base, r.seconds, r.cpuSeconds));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { lines, failed: lines.some((l) => l.error !== undefined), printSummary: () => printTable(lines, args.queries, args.events) };
}
