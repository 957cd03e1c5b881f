/**
 * The per-element cost of Beamline's portable data plane on Prism:
 * `node --require ./runners/load/register.js bench/portable-overhead.ts [--rows=2000000] [--cpu-prof]`.
 *
 * Two pipelines over `generateSequence({ to: rows })`, each ending in a filter that keeps nothing:
 * `fused` maps every number inside one fused stage (the elements never leave the SDK harness), and
 * `reshuffled` puts a reshuffle between the map and the filter, so that every element crosses the
 * Fn API data plane twice (harness → Prism, encoded; Prism → harness, decoded). The difference of their
 * running times over `rows` is the data plane's cost per element, Prism's side included. One JSON line per
 * pipeline: rows, the job's running seconds (RUNNING → DONE), rows per second, and the CPU seconds of
 * the harness (this process) and of Prism over the run.
 */
import { generateSequence, Pipeline, reshuffle } from "../index";
import { startPrism } from "../runners/prism/prism";
import { PortableRunner } from "../runners/portable/runner";
import { watchPeakRss } from "./process-peak";

/** The two pipelines: the same map and filter, with or without a reshuffle between them. */
export function overheadPipeline(rows: number, shape: "fused" | "reshuffled"): Pipeline {
  const p = new Pipeline();
  const mapped = p.apply("Numbers", generateSequence({ to: rows })).map((n) => n + 1, { name: "AddOne" });
  const crossed = shape === "reshuffled" ? mapped.apply("Reshuffle", reshuffle<number>()) : mapped;
  crossed.filter((n) => n < 0, { name: "KeepNone" });
  return p;
}

/** Parses `--rows=N` (a positive integer; default 2,000,000). */
export function parseOverheadArgs(argv: readonly string[]): { rows: number } {
  let rows = 2_000_000;
  for (const a of argv) {
    const m = /^--rows=(\d+)$/.exec(a);
    if (m && Number(m[1]) > 0) rows = Number(m[1]);
    else if (a !== "--cpu-prof") throw new Error(`bench: "${a}" is not an option of portable-overhead.ts (usage: --rows=<positive integer>)`);
  }
  return { rows };
}

async function main(): Promise<void> {
  const { rows } = parseOverheadArgs(process.argv.slice(2));
  for (const shape of ["fused", "reshuffled"] as const) {
    const prism = await startPrism();
    const watch = watchPeakRss(prism.child.pid!);
    let runningAt = NaN;
    let prismUse = { peakRssMB: 0, cpuSeconds: 0 };
    const cpu = process.cpuUsage();
    try {
      await new PortableRunner({
        jobEndpoint: prism.jobEndpoint,
        runnerName: "prism",
        onState: (s) => {
          if (s === "RUNNING" && Number.isNaN(runningAt)) runningAt = performance.now();
        },
      }).run(overheadPipeline(rows, shape));
    } finally {
      prismUse = watch.stop();
      await prism.stop();
    }
    const seconds = (performance.now() - runningAt) / 1000;
    const used = process.cpuUsage(cpu);
    const line = {
      case: `portable-overhead-${shape}`,
      impl: "beamline-prism",
      rows,
      runningSeconds: Math.round(seconds * 1000) / 1000,
      rowsPerSec: Math.round(rows / seconds),
      harnessCpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
      prismCpuSeconds: prismUse.cpuSeconds,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
