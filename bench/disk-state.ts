/**
 * State larger than memory: `keys` keys of windowed state (see `statePerKeyPipeline`) in a process
 * whose heap is capped (`node --max-old-space-size=HEAP`), once per state backend, each in a child
 * process of its own. Prints one JSON line per backend: seconds, peak RSS, whether the output is
 * exact (keys, rows and the sum 0+1+…+(keys-1)), and with `--checkpoint-interval` the checkpoints the
 * run completed and their sizes — or how the child died (the memory backend runs out of heap).
 *
 * A closing summary goes to stderr; the script exits 1 when an output is not exact or a child died other
 * than the memory backend running out of heap. `npm run bench -- --all` runs it too (see all.ts).
 *
 *   node --require ./runners/load/register.js bench/disk-state.ts [--keys=10000000] [--heap=512] [--backends=memory,disk] [--timers] [--checkpoint-interval=MS] [--timeout=<seconds per backend>]
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import type { StateBackendKind } from "../runners/direct/contract/operator";
import { countLabel } from "./data";
import { statePerKeyPipeline } from "./pipelines";
import { flagValue } from "./args";
import { LOAD_TS } from "./run-child";

interface ChildParams {
  readonly backend: StateBackendKind;
  readonly keys: number;
  readonly outDir: string;
  readonly timers: boolean;
  readonly checkpointIntervalMs: number | null;
}

/** In the child: runs the pipeline and prints what it measured. */
async function child(p: ChildParams): Promise<void> {
  const started = Date.now();
  const checkpoint = p.checkpointIntervalMs ? { dir: path.join(p.outDir, ".checkpoints"), intervalMs: p.checkpointIntervalMs, retained: 1000 } : undefined;
  const runner = new DirectRunner({ parallelism: 1, stateBackend: p.backend, checkpoint });
  const result = await runner.run(buildPipeline(statePerKeyPipeline, { keys: p.keys, outDir: p.outDir, timers: p.timers }));
  const seconds = (Date.now() - started) / 1000;
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ seconds, peakRssMB, checkpointSizesBytes: result.checkpoints?.sizesBytes ?? null })}\n`);
}

/** What a run measures: keys of state, the child's heap cap (MB), the backends in order, timers, checkpoints, the most seconds a child may take (0: no limit). */
export interface DiskStateOptions {
  readonly keys: number;
  readonly heapMB: number;
  readonly backends: readonly StateBackendKind[];
  readonly timers: boolean;
  readonly checkpointIntervalMs: number | null;
  readonly timeoutSeconds: number;
}

/** One JSON line: a backend's run. */
export type DiskStateLine = { readonly case: string; readonly backend: string; readonly [field: string]: unknown };

/** Runs one child per backend, with the heap capped, passing each JSON line to `emit` as it is made; resolves to the lines. */
export async function runDiskState(o: DiskStateOptions, emit: (line: DiskStateLine) => void): Promise<DiskStateLine[]> {
  const lines: DiskStateLine[] = [];
  for (const backend of o.backends) {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `beamline-bench-state-${backend}-`));
    const params: ChildParams = { backend, keys: o.keys, outDir, timers: o.timers, checkpointIntervalMs: o.checkpointIntervalMs };
    process.stderr.write(`bench: state of ${o.keys} keys / ${backend} backend (heap ${o.heapMB} MB)\n`);
    const started = Date.now();
    const proc = spawn(process.execPath, [`--max-old-space-size=${o.heapMB}`, ...LOAD_TS, __filename, "--child", JSON.stringify(params)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (err += d));
    let timedOut = false;
    const timer = o.timeoutSeconds > 0 ? setTimeout(() => ((timedOut = true), proc.kill("SIGKILL")), o.timeoutSeconds * 1000) : null;
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => proc.on("exit", (c, s) => resolve([c, s])));
    if (timer) clearTimeout(timer);
    const line: Record<string, unknown> = { case: `state-${countLabel(o.keys)}-keys${o.timers ? "-timers" : ""}`, backend, keys: o.keys, heapMB: o.heapMB, processSeconds: (Date.now() - started) / 1000 };
    if (code === 0) {
      Object.assign(line, JSON.parse(out.trim().split("\n").pop()!));
      const totals = fs.readdirSync(outDir).filter((f) => f.startsWith("totals")).flatMap((f) => fs.readFileSync(path.join(outDir, f), "utf8").split("\n")).filter((l) => l !== "");
      const expected = { keys: o.keys, rows: o.keys, total: (o.keys * (o.keys - 1)) / 2 };
      const got = totals.length === 1 ? (JSON.parse(totals[0]) as Record<string, unknown>) : null;
      line.exact = got !== null && got.keys === expected.keys && got.rows === expected.rows && got.total === expected.total;
      line.output = got;
      const chk = path.join(outDir, ".checkpoints");
      if (fs.existsSync(chk)) line.checkpointBuildsOn = fs.readdirSync(chk).filter((d) => d.startsWith("chk-")).map((d) => [d, fs.readdirSync(path.join(chk, d)).filter((f) => f.startsWith("refs-")).map((f) => fs.readFileSync(path.join(chk, d, f), "utf8"))]);
    } else {
      line.failed = { code, signal, timedOut, outOfMemory: /heap out of memory|Allocation failed/i.test(err), stderrTail: err.trim().split("\n").slice(-3) };
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    const done = line as DiskStateLine;
    lines.push(done);
    emit(done);
  }
  return lines;
}

/** Whether a run failed: an output that is not exact, or a child that died other than the memory backend running out of heap (what the case shows). */
export function diskStateFailed(lines: readonly DiskStateLine[]): boolean {
  return lines.some((l) => {
    if (l.exact === false) return true;
    const failed = l.failed as { outOfMemory?: boolean; timedOut?: boolean } | undefined;
    return failed !== undefined && !(l.backend === "memory" && failed.outOfMemory === true && !failed.timedOut);
  });
}

/** Prints the run's summary to stderr: per backend, exact or how it died, seconds and peak RSS. */
export function printDiskStateSummary(lines: readonly DiskStateLine[]): void {
  const out = ["", "== state larger than memory: keys of windowed state under a capped heap, one thread =="];
  for (const l of lines) {
    const failed = l.failed as { code: number | null; signal: string | null; timedOut: boolean; outOfMemory: boolean } | undefined;
    const what = failed
      ? failed.timedOut ? "timed out" : failed.outOfMemory ? `out of heap after ${Number(l.processSeconds).toFixed(1)} s` : `FAILED (${failed.signal ?? `exit code ${failed.code}`})`
      : `${l.exact ? "exact" : "OUTPUT NOT EXACT"}  ${Number(l.seconds).toFixed(1)} s  peak RSS ${String(l.peakRssMB)} MB`;
    out.push(`  ${l.case} ${l.backend} backend, heap ${String(l.heapMB)} MB: ${what}`);
  }
  process.stderr.write(`${out.join("\n")}\n\n`);
}

/** The script's command line: runs the backends, then prints the summary; exits 1 when the run failed. */
async function main(): Promise<void> {
  const interval = flagValue("checkpoint-interval", "");
  const options: DiskStateOptions = {
    keys: Number(flagValue("keys", "10000000")),
    heapMB: Number(flagValue("heap", "512")),
    backends: flagValue("backends", "memory,disk").split(",") as StateBackendKind[],
    timers: process.argv.includes("--timers"),
    checkpointIntervalMs: interval ? Number(interval) : null,
    timeoutSeconds: Number(flagValue("timeout", "0")),
  };
  const lines = await runDiskState(options, (line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  printDiskStateSummary(lines);
  if (diskStateFailed(lines)) process.exitCode = 1;
}

// Run as a script (the parent, or with --child one backend's run); imported (by all.ts), it only exports.
if (require.main === module) {
  const at = process.argv.indexOf("--child");
  (at >= 0 ? child(JSON.parse(process.argv[at + 1]) as ChildParams) : main()).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
