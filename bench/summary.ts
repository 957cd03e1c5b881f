/**
 * The human summary printed to stderr at the end of a run: per case, each implementation's rows per
 * second and peak RSS, and Beamline's throughput relative to plain JS and to Apache Beam (rows per
 * second over rows per second, so runs on different input sizes compare).
 */
import type { ResultLine } from "./throughput";

const BEAMLINE = "beamline-direct-p";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k/s` : `${x.toFixed(0)}/s`;
}

/** One implementation's rows/s over another's, as "0.52× (slower)" or "—". */
function ratio(a: ResultLine | undefined, b: ResultLine | undefined): string {
  if (!a?.rowsPerSec || !b?.rowsPerSec) return "—";
  const r = a.rowsPerSec / b.rowsPerSec;
  return `${r.toFixed(2)}× (${r >= 1 ? "faster" : "slower"})`;
}

/** Prints the summary of a run's result lines to stderr. */
export function printSummary(lines: readonly ResultLine[], run: { quick: boolean; seconds: number }): void {
  const out: string[] = [];
  out.push("");
  out.push(`== beamline benchmarks${run.quick ? " (--quick)" : ""}: ${run.seconds.toFixed(0)} s; throughput in rows/s (words, rows or events), Beamline at 1 and 2 threads ==`);
  const cases = [...new Set(lines.map((l) => l.case))];
  for (const c of cases) {
    const of = lines.filter((l) => l.case === c);
    out.push(`${c}`);
    for (const l of of) {
      const what = l.skipped !== undefined ? `skipped: ${l.skipped}` : l.error !== undefined ? `ERROR: ${l.error}` : `${pad(fmtRate(l.rowsPerSec ?? 0), 10)} ${pad(`${l.seconds} s`, 10)} peak RSS ${l.peakRssMB} MB`;
      const check = l.sameOutputAsPlainJs === false ? "  OUTPUT DIFFERS FROM plain-js" : "";
      const phases = typeof l.runningSeconds === "number" ? `  (start-up ${l.startupSeconds} s, job running ${l.runningSeconds} s)` : "";
      out.push(`  ${pad(l.impl, 20)} ${pad(`${l.rows} rows`, 16)} ${what}${check}${phases}`);
    }
    const plain = of.find((l) => l.impl === "plain-js");
    const beam = of.find((l) => l.impl.startsWith("apache-beam"));
    const beamlines = of.filter((l) => l.impl.startsWith(BEAMLINE));
    for (const beamline of beamlines) {
      const name = beamline.impl.replace("beamline-direct-", "beamline ");
      out.push(`  ${pad(`${name} / plain-js:`, 28)} ${ratio(beamline, plain)}`);
      if (beam) out.push(`  ${pad(`${name} / apache-beam:`, 28)} ${ratio(beamline, beam)}${beam.rows !== beamline.rows && beam.rowsPerSec ? ` (apache-beam on ${beam.rows} rows)` : ""}`);
    }
    // The portable word count: Beamline on Flink against Beam Java on the same Flink, at each parallelism.
    for (const flink of of.filter((l) => l.impl.startsWith("beamline-flink-p"))) {
      const java = of.find((l) => l.impl === flink.impl.replace("beamline-flink", "beam-java-flink"));
      if (java) out.push(`  ${pad(`${flink.impl} / ${java.impl}:`, 28)} ${ratio(flink, java)}`);
    }
    const p1 = beamlines.find((l) => l.parallelism === 1);
    const p2 = beamlines.find((l) => l.parallelism === 2);
    if (p1 && p2) out.push(`  ${pad("beamline p2 / p1:", 28)} ${ratio(p2, p1)}`);
  }
  out.push("");
  process.stderr.write(out.join("\n") + "\n");
}
