/**
 * `npm run bench -- --all [--quick]`: every part of the benchmark in one run, one after another — the
 * throughput cases (throughput.ts, the portable word count and Kafka → Kafka included), the Kafka
 * latency case (kafka-latency.ts), the Nexmark queries at p1 and p2 with Beam Java's attempt
 * (nexmark.ts), and state larger than memory on both state backends under a capped heap (disk-state.ts).
 *
 * Every part prints its JSON lines to stdout as it makes them, as it does on its own. At the end, on
 * stderr, each part's summary again, then how long each part took, whether it failed, the run's wall
 * time and the machine's load average (`os.loadavg()`) at its start and end. A part that throws is
 * reported as failed and the next part runs; the run fails when any part failed.
 */
import * as os from "node:os";
import type { HarnessArgs } from "./args";
import { diskStateFailed, printDiskStateSummary, runDiskState, type DiskStateOptions } from "./disk-state";
import { printLatencySummary, runKafkaLatency } from "./kafka-latency";
import { runNexmark } from "./nexmark";
import { printSummary } from "./summary";
import { chooseMeasurements, runThroughput, throughputFailed, type ThroughputOptions } from "./throughput";

/**
 * The state case's sizes: 1M keys under a 512 MB heap (the memory backend runs out of heap, the disk
 * backend finishes in a few minutes here); 100,000 with `--quick` (both finish). The 10M-key run of
 * bench/README.md takes half an hour: its own command.
 */
const DISK_STATE = {
  full: { keys: 1_000_000, heapMB: 512, timeoutSeconds: 1800 },
  quick: { keys: 100_000, heapMB: 512, timeoutSeconds: 600 },
};

/** What each part of an `--all` run is given. */
export interface AllPlan {
  readonly throughput: ThroughputOptions;
  readonly latency: { readonly quick: boolean; readonly rate: number | null };
  /** The Nexmark part's command line (nexmark.ts). */
  readonly nexmarkArgv: readonly string[];
  readonly diskState: DiskStateOptions;
}

/** The parts of an `--all` run and their sizes, from the harness's arguments. */
export function allPlan(args: HarnessArgs): AllPlan {
  const sizes = args.quick ? DISK_STATE.quick : DISK_STATE.full;
  return {
    throughput: { quick: args.quick, cases: null, impls: null, portable: true, timeoutSeconds: args.timeoutSeconds },
    latency: { quick: args.quick, rate: args.rate },
    nexmarkArgv: args.quick ? ["--quick"] : [],
    diskState: { ...sizes, backends: ["memory", "disk"], timers: false, checkpointIntervalMs: null },
  };
}

/** A part's outcome: whether it failed, how long it took, and how to print its summary. */
interface PartOutcome {
  readonly name: string;
  readonly failed: boolean;
  readonly seconds: number;
  readonly lines: number;
  readonly summary: () => void;
}

const printLine = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const fmtLoad = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(", ");

/** Runs one part, timing it; a part that throws is a failed part whose summary is the error. */
async function part(name: string, run: () => Promise<{ failed: boolean; lines: number; summary: () => void }>): Promise<PartOutcome> {
  process.stderr.write(`\nbench --all: ${name}\n`);
  const started = Date.now();
  try {
    const r = await run();
    return { name, ...r, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { name, failed: true, lines: 0, seconds: (Date.now() - started) / 1000, summary: () => process.stderr.write(`\n== ${name}: ERROR ${message}\n`) };
  }
}

/** Runs every part in sequence and prints the combined summary; resolves to whether any part failed. */
export async function runAll(args: HarnessArgs): Promise<boolean> {
  const plan = allPlan(args);
  const loadAtStart = os.loadavg();
  const started = Date.now();
  const outcomes: PartOutcome[] = [];
  outcomes.push(await part("throughput cases", async () => {
    const t0 = Date.now();
    const lines = await runThroughput(chooseMeasurements(plan.throughput), plan.throughput.timeoutSeconds);
    const seconds = (Date.now() - t0) / 1000;
    return { failed: throughputFailed(lines), lines: lines.length, summary: () => printSummary(lines, { quick: args.quick, seconds }) };
  }));
  outcomes.push(await part("kafka-latency", async () => {
    const lines = await runKafkaLatency(plan.latency, printLine);
    return { failed: lines.some((l) => l.error !== undefined), lines: lines.length, summary: () => printLatencySummary(lines) };
  }));
  outcomes.push(await part("nexmark", async () => {
    const run = await runNexmark(plan.nexmarkArgv);
    return { failed: run.failed, lines: run.lines.length, summary: run.printSummary };
  }));
  outcomes.push(await part("state larger than memory", async () => {
    const lines = await runDiskState(plan.diskState, printLine);
    return { failed: diskStateFailed(lines), lines: lines.length, summary: () => printDiskStateSummary(lines) };
  }));
  const loadAtEnd = os.loadavg();
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`\n======== bench --all${args.quick ? " --quick" : ""}: summary of every part ========\n`);
  for (const o of outcomes) o.summary();
  const out = [`== bench --all${args.quick ? " --quick" : ""}: ${seconds.toFixed(0)} s wall time on ${os.cpus().length} cores ==`];
  for (const o of outcomes) out.push(`  ${o.name.padEnd(26)} ${`${o.seconds.toFixed(0)} s`.padStart(7)}  ${String(o.lines).padStart(3)} lines  ${o.failed ? "FAILED" : "ok"}`);
  out.push(`  load average (1, 5, 15 min) at start: ${fmtLoad(loadAtStart)}; at end: ${fmtLoad(loadAtEnd)}`);
  process.stderr.write(`${out.join("\n")}\n`);
  return outcomes.some((o) => o.failed);
}
