/**
 * The benchmark harness's command line (`npm run bench -- ...`, run.ts), Nexmark's own options aside
 * (`--nexmark`, see nexmark.ts): which cases run, at which sizes.
 */

/** The harness's options. */
export interface HarnessArgs {
  /** `--all`: every part in sequence (see all.ts). */
  readonly all: boolean;
  /** `--quick`: every part's smaller sizes. */
  readonly quick: boolean;
  /** `--case`: case name prefixes of the throughput cases, or all of them. */
  readonly cases: readonly string[] | null;
  /** `--impl`: implementation name prefixes, or all of them. */
  readonly impls: readonly string[] | null;
  /** Whether the Kafka latency case runs: `--all`, or a `--case` prefix that names it and not kafka-to-kafka. */
  readonly latency: boolean;
  /** `--timeout`: the most seconds a throughput child may take (default 240, 60 with `--quick`). */
  readonly timeoutSeconds: number;
  /** `--rate`: the Kafka latency case's records per second (default: kafka-latency.ts's). */
  readonly rate: number | null;
}

/** How the harness is called. */
export const USAGE = [
  "usage: npm run bench [-- --quick] [--case=<name prefix>,...] [--impl=<name prefix>,...] [--timeout=<seconds per child>] [--rate=<records/s of kafka-latency>]",
  "       npm run bench -- --all [--quick] [--timeout=<seconds per child>] [--rate=<records/s of kafka-latency>]   (every part in sequence)",
  "       npm run bench -- --nexmark [--quick] [--events=<N>] [--query=<q>,...] [--timeout=<seconds per child>]",
].join("\n");

/** The Kafka latency case's name (kafka-latency.ts): it runs only when `--case` names it (or with `--all`). */
const LATENCY_CASE = "kafka-latency";

/** Parses the harness's arguments: the options, `help` for `--help`, or what is wrong with them. */
export function parseArgs(argv: readonly string[]): { args: HarnessArgs } | { help: true } | { error: string } {
  let all = false;
  let quick = false;
  let cases: string[] | null = null;
  let impls: string[] | null = null;
  let timeoutSeconds = 0;
  let rate: number | null = null;
  for (const a of argv) {
    const [name, value] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, ""];
    if (name === "--all" && !value) all = true;
    else if (name === "--quick" && !value) quick = true;
    else if (name === "--case" && value) cases = value.split(",");
    else if (name === "--impl" && value) impls = value.split(",");
    else if (name === "--timeout" && Number(value) > 0) timeoutSeconds = Number(value);
    else if (name === "--rate" && Number.isInteger(Number(value)) && Number(value) > 0) rate = Number(value);
    else if (name === "--help" || name === "-h") return { help: true };
    else return { error: `"${a}" is not an option of the harness.` };
  }
  if (all && (cases || impls)) return { error: "--all runs every case and implementation; --case and --impl choose among them in a run without --all." };
  // The latency case runs for minutes at a fixed rate: only when a --case prefix names it and not the
  // throughput case (`--case=kafka` stays kafka-to-kafka alone).
  const latency = all || (cases?.some((c) => LATENCY_CASE.startsWith(c) && !"kafka-to-kafka".startsWith(c)) ?? false);
  return { args: { all, quick, cases, impls, latency, timeoutSeconds: timeoutSeconds || (quick ? 60 : 240), rate } };
}

/** The value of `--name=value` on this process's command line, or `fallback` (the small scripts' own options). */
export function flagValue(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
}
