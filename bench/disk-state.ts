/**
 * State larger than memory: `keys` keys of windowed state (see `statePerKeyPipeline`) in a process
 * whose heap is capped (`node --max-old-space-size=HEAP`), once per state backend, each in a child
 * process of its own. Prints one JSON line per backend: seconds, peak RSS, whether the output is
 * exact (keys, rows and the sum 0+1+…+(keys-1)), and with `--checkpoint-interval` the checkpoints the
 * run completed and their sizes — or how the child died (the memory backend runs out of heap).
 *
 *   node --require ./runners/load/register.js bench/disk-state.ts [--keys=10000000] [--heap=512] [--backends=memory,disk] [--timers] [--checkpoint-interval=MS]
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import type { StateBackendKind } from "../runners/direct/contract/operator";
import { statePerKeyPipeline } from "./pipelines";
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

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
}

/** In the parent: one child per backend, with the heap capped. */
async function main(): Promise<void> {
  const keys = Number(arg("keys", "10000000"));
  const heap = Number(arg("heap", "512"));
  const timers = process.argv.includes("--timers");
  const interval = arg("checkpoint-interval", "");
  for (const backend of arg("backends", "memory,disk").split(",") as StateBackendKind[]) {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `beamline-bench-state-${backend}-`));
    const params: ChildParams = { backend, keys, outDir, timers, checkpointIntervalMs: interval ? Number(interval) : null };
    const started = Date.now();
    const proc = spawn(process.execPath, [`--max-old-space-size=${heap}`, ...LOAD_TS, __filename, "--child", JSON.stringify(params)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (err += d));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => proc.on("exit", (c, s) => resolve([c, s])));
    const line: Record<string, unknown> = { case: timers ? "state-10m-keys-timers" : "state-10m-keys", backend, keys, heapMB: heap, processSeconds: (Date.now() - started) / 1000 };
    if (code === 0) {
      Object.assign(line, JSON.parse(out.trim().split("\n").pop()!));
      const totals = fs.readdirSync(outDir).filter((f) => f.startsWith("totals")).flatMap((f) => fs.readFileSync(path.join(outDir, f), "utf8").split("\n")).filter((l) => l !== "");
      const expected = { keys, rows: keys, total: (keys * (keys - 1)) / 2 };
      const got = totals.length === 1 ? (JSON.parse(totals[0]) as Record<string, unknown>) : null;
      line.exact = got !== null && got.keys === expected.keys && got.rows === expected.rows && got.total === expected.total;
      line.output = got;
      const chk = path.join(outDir, ".checkpoints");
      if (fs.existsSync(chk)) line.checkpointBuildsOn = fs.readdirSync(chk).filter((d) => d.startsWith("chk-")).map((d) => [d, fs.readdirSync(path.join(chk, d)).filter((f) => f.startsWith("refs-")).map((f) => fs.readFileSync(path.join(chk, d, f), "utf8"))]);
    } else {
      line.failed = { code, signal, outOfMemory: /heap out of memory|Allocation failed/i.test(err), stderrTail: err.trim().split("\n").slice(-3) };
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

const at = process.argv.indexOf("--child");
(at >= 0 ? child(JSON.parse(process.argv[at + 1]) as ChildParams) : main()).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
