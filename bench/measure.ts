/**
 * What a measured implementation returns and how a child process reports it. Every implementation
 * runs in a child process of its own (see `child.ts`), so `peakRssMB` is that implementation's
 * alone; the child writes one JSON object to the file named by `BENCH_RESULT_FILE`.
 */
import * as fs from "node:fs";

/** What the parent passes to an implementation. */
export interface CaseParams {
  /** The input file (every implementation of a case reads the same one). */
  readonly input: string;
  /** A fresh directory for the output. */
  readonly outDir: string;
  /** Rows (words, key/value rows or events) in the input. */
  readonly rows: number;
  /** Worker threads for Beamline's direct runner (1: the main thread). */
  readonly parallelism?: number;
  /** Beamline takes aligned checkpoints this often (ms) into a directory under `outDir`; none when absent. */
  readonly checkpointIntervalMs?: number;
  /** Kafka cases: the bootstrap servers (`input` is then the topic read). */
  readonly brokers?: string;
  /** Kafka cases: the empty topic this measurement writes. */
  readonly outputTopic?: string;
}

/** What an implementation tells about its run, checked against the other implementations of the case. */
export interface ImplOutput {
  /** Input rows processed (words for word count). */
  readonly rows: number;
  /** Output rows written (distinct words, keys, or window × key groups). */
  readonly outputRows: number;
  /** A sum over the output that every correct implementation agrees on (counts, or totals in cents). */
  readonly checksum: number;
  /** Fields the check adds to the JSON line. */
  readonly report?: Record<string, unknown>;
}

/**
 * An implementation of a case: the rows it read, and fields to add to its JSON line; `peakRssMB` when
 * the work ran in processes other than the child (a JVM, a job service): theirs, instead of the child's.
 */
export type Impl = (params: CaseParams) => Promise<{ readonly rows: number; readonly peakRssMB?: number; readonly report?: Record<string, unknown> }>;

/** The fields a child reports (the parent adds case, impl and its own fields). */
export interface ChildResult extends ImplOutput {
  /** Wall-clock seconds of the run, from before reading the input to after the output is written. */
  readonly seconds: number;
  /** CPU seconds (user and system, every thread of the child) over the same span as `seconds` (absent from peers' scripts). */
  readonly cpuSeconds?: number;
  /** Peak resident set size of the child process, from `process.resourceUsage().maxRSS`. */
  readonly peakRssMB: number;
  /** What the implementation reported besides its rows (checkpoint durations, for example). */
  readonly report?: Record<string, unknown>;
}

/** Runs an implementation, timing it, then writes the result for the parent. */
export async function measureAndReport(impl: Impl, params: CaseParams, verify: (params: CaseParams) => Promise<ImplOutput>): Promise<void> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const out = await impl(params);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  if (out.rows !== params.rows) throw new Error(`bench: the implementation read ${out.rows} rows; the input has ${params.rows}`);
  // Reading the output back, to compare implementations, is not timed (nor counted in peakRssMB).
  const peakRssMB = out.peakRssMB ?? process.resourceUsage().maxRSS / 1024;
  const checked = await verify(params);
  const report = out.report || checked.report ? { ...out.report, ...checked.report } : undefined;
  const result: ChildResult = { ...checked, seconds, cpuSeconds, peakRssMB, ...(report ? { report } : {}) };
  writeResult(result);
}

/** Writes a child's result to the file the parent named. */
export function writeResult(result: object): void {
  const file = process.env.BENCH_RESULT_FILE;
  if (!file) throw new Error("bench: BENCH_RESULT_FILE is not set; run the benchmarks with `npm run bench`");
  fs.writeFileSync(file, JSON.stringify(result));
}

/** The files of a directory (recursively, hidden staging folders left out), sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out.sort();
}
