/**
 * The human summary printed to stderr at the end of a run: per case, each implementation's rows per
 * second and peak RSS, and Beamline's throughput relative to plain JS and to Apache Beam (rows per
 * second over rows per second, so runs on different input sizes compare).
 */
import type { ResultLine } from "./run";

const BEAMLINE = "beamline-direct";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k/s` : `${x.toFixed(0)}/s`;
}

/** Beamline's rows/s over another implementation's, as "0.52× (beamline slower)" or "—". */
function ratio(beamline: ResultLine | undefined, other: ResultLine | undefined): string {
  if (!beamline?.rowsPerSec || !other?.rowsPerSec) return "—";
  const r = beamline.rowsPerSec / other.rowsPerSec;
  return `${r.toFixed(2)}× (${r >= 1 ? "beamline faster" : "beamline slower"})`;
}

/** Prints the summary of a run's result lines to stderr. */
export function printSummary(lines: readonly ResultLine[], run: { quick: boolean; seconds: number }): void {
  const out: string[] = [];
  out.push("");
  out.push(`== beamline benchmarks${run.quick ? " (--quick)" : ""}: ${run.seconds.toFixed(0)} s; throughput in rows/s (words, rows or events), one thread each ==`);
  const cases = [...new Set(lines.map((l) => l.case))];
  for (const c of cases) {
    const of = lines.filter((l) => l.case === c);
    out.push(`${c}`);
    for (const l of of) {
      const what = l.skipped !== undefined ? `skipped: ${l.skipped}` : l.error !== undefined ? `ERROR: ${l.error}` : `${pad(fmtRate(l.rowsPerSec ?? 0), 10)} ${pad(`${l.seconds} s`, 10)} peak RSS ${l.peakRssMB} MB`;
      const check = l.sameOutputAsPlainJs === false ? "  OUTPUT DIFFERS FROM plain-js" : "";
      out.push(`  ${pad(l.impl, 20)} ${pad(`${l.rows} rows`, 16)} ${what}${check}`);
    }
    const beamline = of.find((l) => l.impl === BEAMLINE);
    const plain = of.find((l) => l.impl === "plain-js");
    const beam = of.find((l) => l.impl.startsWith("apache-beam"));
    out.push(`  beamline / plain-js:    ${ratio(beamline, plain)}`);
    if (beam) out.push(`  beamline / apache-beam: ${ratio(beamline, beam)}${beam.rows !== beamline?.rows && beam.rowsPerSec ? ` (apache-beam on ${beam.rows} rows)` : ""}`);
  }
  out.push("");
  process.stderr.write(out.join("\n") + "\n");
}
