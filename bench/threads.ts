/**
 * Per-thread CPU of Beamline's direct runner on the benchmark cases, at parallelism 1 and 2, and the
 * speed-up a quiet machine would give, measured in a way that load on the machine barely changes:
 *
 *   npm run bench:threads -- [--case=sum-per-key-1k,...] [--runs=3] [--parallelism=1,2] [--cores=2]
 *
 * Each run is one benchmark child (bench/child.ts, as `npm run bench` starts it) with
 * bench/thread-probe.cjs preloaded; bench/thread-time.ts turns what the probe logs into a breakdown.
 * Prints one JSON line per run to stdout, and per case the medians and p1 / p2 of the estimates to stderr.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { eventsArrowFile, kvArrowFile, wordsFile } from "./data";
import { flagValue } from "./args";
import { LOAD_TS } from "./run-child";
import { median, ProbeEvent, scalingCeiling, threadTime, ThreadTime } from "./thread-time";

const ROOT = path.resolve(__dirname, "..");
const PROBE = path.join(__dirname, "thread-probe.cjs");

/** The cases, as bench/throughput.ts runs them in a full run. */
const CASES: Record<string, { kind: string; rows: number; input: () => Promise<string> }> = {
  "wordcount-10M": { kind: "wordcount", rows: 10_000_000, input: () => wordsFile(10_000_000) },
  "sum-per-key-1k": { kind: "sum-per-key", rows: 10_000_000, input: () => kvArrowFile(10_000_000, 1000) },
  "sum-per-key-1M": { kind: "sum-per-key", rows: 10_000_000, input: () => kvArrowFile(10_000_000, 1_000_000) },
  "windowed-aggregation": { kind: "windowed", rows: 10_000_000, input: () => eventsArrowFile(10_000_000) },
};

/** Runs one child under the probe; its events. */
function runOnce(kind: string, params: object, tmp: string): Promise<ProbeEvent[]> {
  const probeFile = path.join(tmp, "probe.jsonl");
  const resultFile = path.join(tmp, "result.json");
  fs.rmSync(probeFile, { force: true });
  const args = ["--max-old-space-size=4096", "--require", PROBE, ...LOAD_TS, path.join(__dirname, "child.ts"), kind, "beamline-direct", JSON.stringify(params)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", 2, 2], env: { ...process.env, BENCH_RESULT_FILE: resultFile, THREAD_PROBE_FILE: probeFile } });
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`bench:threads: the child failed (exit code ${code})`));
      resolve(fs.readFileSync(probeFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as ProbeEvent));
    });
  });
}

const ms = (x: number) => Math.round(x);

/** A mistake on the command line: reported as its message alone. */
class UsageError extends Error {}

/** `value` of option `--name` as a positive integer, or a UsageError naming both. */
function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`bench:threads: --${name} takes positive integers (got "${value}"), e.g. --${name}=2`);
  return n;
}

async function main(): Promise<void> {
  const cases = flagValue("case", Object.keys(CASES).join(",")).split(",");
  const runs = positiveInteger("runs", flagValue("runs", "3"));
  const parallelisms = flagValue("parallelism", "1,2").split(",").map((p) => positiveInteger("parallelism", p));
  const cores = positiveInteger("cores", flagValue("cores", "2"));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-threads-"));
  try {
    for (const name of cases) {
      const c = CASES[name];
      if (!c) throw new UsageError(`bench:threads: no case "${name}" (${Object.keys(CASES).join(", ")})`);
      const input = await c.input();
      const by = new Map<number, ThreadTime[]>(parallelisms.map((p) => [p, []]));
      // Alternating parallelisms, so that a change of load on the machine touches both alike.
      for (let i = 0; i < runs; i++) {
        for (const p of parallelisms) {
          const outDir = fs.mkdtempSync(path.join(tmp, "out-"));
          const t = threadTime(await runOnce(c.kind, { input, outDir, rows: c.rows, parallelism: p }, tmp), cores);
          fs.rmSync(outDir, { recursive: true, force: true });
          by.get(p)!.push(t);
          process.stdout.write(`${JSON.stringify({ case: name, parallelism: p, run: i + 1, ...t })}\n`);
        }
      }
      const line = (p: number) => {
        const ts = by.get(p)!;
        const m = (f: (t: ThreadTime) => number) => ms(median(ts.map(f)));
        const w = ts[0].workers.length > 0 ? ` worker start-up ${m((t) => t.workers[0].startCpu)} run ${m((t) => t.workers[0].runCpu)} (idle ${m((t) => t.workers[0].runIdle)});` : "";
        return `p${p}: main ${m((t) => t.mainCpu)} (alone after the workers: ${m((t) => t.mainAfterWorkersDone)});${w} helpers ${m((t) => t.helpers)}; total ${m((t) => t.total)}; critical path ${m((t) => t.criticalPath)}; quiet estimate ${m((t) => t.quietEstimate)}`;
      };
      process.stderr.write(`bench:threads ${name}, medians of ${runs} runs, CPU ms:\n`);
      for (const p of parallelisms) process.stderr.write(`  ${line(p)}\n`);
      if (by.has(1) && by.has(2)) {
        const est = (p: number) => median(by.get(p)!.map((t) => t.quietEstimate));
        process.stderr.write(`  p2 / p1 on a quiet ${cores}-core machine: ${(est(1) / est(2)).toFixed(2)}\n`);
      }
      if (by.has(1)) {
        const ceiling = median(by.get(1)!.map((t) => scalingCeiling(t, cores)));
        process.stderr.write(`  ceiling: no parallelism exceeds ${ceiling.toFixed(2)}× p1 on ${cores} cores unless it spends less CPU in all than p1 (p1's quiet estimate / (p1's total CPU / ${cores}))\n`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
