/**
 * `expectSameOutputUnderFaults`: proves in a user's own test that a pipeline file gives the same
 * output when faults strike. It runs the file once without faults, then under the faults of a seed's
 * plan (`beamline run FILE --inject-faults=SEED:COUNT`, checkpointed in a temporary directory,
 * resumed after each crash), and compares the files under the output prefix (or what the output
 * place given reads: a Kafka topic, a table) as multisets of lines.
 * Faults the run ended before reaching are injected in a further run from the start (a round), until
 * every fault fired or a round fired none. A mismatch throws with the seed, the faults that fired, the
 * difference and the command that replays the round.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError } from "../../sdk/errors";
import { runUnderFaults } from "../commands/inject-faults";
import { describeFault } from "../direct/faults/fault-points";
import type { PlannedFault } from "../direct/faults/plan";

/** What {@link expectSameOutputUnderFaults} is given. */
export interface SameOutputOptions {
  /** The pipeline's and the runner's options by name (camelCase), as `beamline run` takes them (`--kebab-case=value`). */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /** How many faults of the seed's plan to inject. Default 20. */
  readonly faults?: number;
  /** The seed of the fault plan. */
  readonly seed: number;
  /** The pipeline option holding the output prefix; each run gets its own. Default `output`. */
  readonly outputOption?: string;
  /**
   * Output that is not files (a Kafka topic, a table): `prepare` gives the output option's value for
   * the run named `name` (a fresh place for each run: create it there), `read` the lines that run
   * wrote there. Default: a prefix in a temporary directory, and the lines of the files under it.
   */
  readonly output?: OutputPlace;
  /** Whether to pass on what the runs print (stderr), for a soak test's log. Default false. */
  readonly verbose?: boolean;
}

/** Where the runs of {@link expectSameOutputUnderFaults} write, and how it reads what they wrote. */
export interface OutputPlace {
  /** The output option's value for the run named `name` ("clean", "round-1", …), made ready. */
  prepare(name: string): string | Promise<string>;
  /** The lines a run wrote to `value`, in any order. */
  read(value: string): readonly string[] | Promise<readonly string[]>;
}

/** What a run under faults did, when its output matched. */
export interface SameOutputReport {
  readonly seed: number;
  /** The faults of the plan. */
  readonly planned: readonly PlannedFault[];
  /** Those that fired, in order. */
  readonly fired: readonly PlannedFault[];
  /** The runs from the start it took (each resumed after its crashes). */
  readonly rounds: number;
  /** The processes those runs took, over all rounds. */
  readonly attempts: number;
  /** The lines of output each run gave. */
  readonly lines: number;
  /** What the runs under faults printed on stderr. */
  readonly log: readonly string[];
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every line of every file under `prefix` (files in its directory whose names start with its name). */
function linesUnder(prefix: string): string[] {
  const dir = path.dirname(prefix);
  if (!fs.existsSync(dir)) return [];
  const name = path.basename(prefix);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.startsWith(name))
    .flatMap((f) => fs.readFileSync(path.join(dir, f.name), "utf8").split("\n"))
    .filter((l) => l !== "");
}

/** What `actual` lacks of `expected` and holds beyond it, counting repeats. */
function multisetDiff(expected: readonly string[], actual: readonly string[]): { missing: string[]; extra: string[] } {
  const counts = new Map<string, number>();
  for (const l of expected) counts.set(l, (counts.get(l) ?? 0) + 1);
  const extra: string[] = [];
  for (const l of actual) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else extra.push(l);
  }
  const missing = [...counts].flatMap(([l, n]) => Array<string>(n).fill(l));
  return { missing, extra };
}

const shown = (lines: readonly string[], sign: string) => [...lines.slice(0, 10).map((l) => `  ${sign} ${l}`), ...(lines.length > 10 ? [`  … ${lines.length - 10} more`] : [])];

/**
 * Runs `pipelineFile` without faults, then under `faults` seeded faults, and throws unless both runs
 * wrote the same lines under the output prefix (see the module's comment). Resolves with what fired.
 */
export async function expectSameOutputUnderFaults(pipelineFile: string, o: SameOutputOptions): Promise<SameOutputReport> {
  const count = o.faults ?? 20;
  const outputOption = o.outputOption ?? "output";
  const given = { checkpointInterval: 50, ...o.options };
  const args = Object.entries(given)
    .filter(([name]) => name !== outputOption)
    .map(([name, value]) => `--${kebab(name)}=${value}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-same-output-"));
  const log: string[] = [];
  const quiet = { out: () => {}, err: (t: string) => log.push(t) };
  const io = o.verbose ? { out: (t: string) => process.stdout.write(`${t}\n`), err: (t: string) => (log.push(t), process.stderr.write(`${t}\n`)) } : quiet;
  try {
    const place: OutputPlace = o.output ?? {
      prepare: (name) => {
        fs.mkdirSync(path.join(root, name));
        return path.join(root, name, "out");
      },
      read: linesUnder,
    };
    const linesOf = async (value: string) => [...(await place.read(value))].sort();
    const clean = await place.prepare("clean");
    const straight = await runUnderFaults({ file: pipelineFile, args: [...args, `--${kebab(outputOption)}=${clean}`], seed: o.seed, count: 0, io });
    if (straight.code !== 0) throw runFailed(pipelineFile, o.seed, count, "the run without faults", straight.code, log, args);
    const expected = await linesOf(clean);
    const fired: PlannedFault[] = [];
    let planned: readonly PlannedFault[] = [];
    let attempts = 0;
    let round = 0;
    while (fired.length < count) {
      round++;
      const skip = new Set(fired.map((f) => f.id));
      const out = await place.prepare(`round-${round}`);
      const r = await runUnderFaults({ file: pipelineFile, args: [...args, `--${kebab(outputOption)}=${out}`], seed: o.seed, count, skip, io });
      attempts += r.attempts;
      if (round === 1) planned = r.armed;
      fired.push(...r.fired);
      const replay = replayCommand(pipelineFile, o.seed, count, skip, [...args, `--${kebab(outputOption)}=OUT`]);
      if (r.code !== 0) throw runFailed(pipelineFile, o.seed, count, `round ${round} under faults`, r.code, log, args, r.fired, replay);
      const { missing, extra } = multisetDiff(expected, await linesOf(out));
      if (missing.length > 0 || extra.length > 0) {
        throw new BeamlineError({
          code: "BL_OUTPUT_DIFFERS_UNDER_FAULTS",
          where: pipelineFile,
          value: `seed ${o.seed}`,
          rule: [
            `the output under faults differs from the output without faults (round ${round}; ${missing.length} lines missing, ${extra.length} extra); the faults that fired, the last one last:`,
            ...r.fired.map((f) => `  #${f.id} ${f.kind}: ${describeFault(f)}`),
            "the difference (- missing, + extra):",
            ...shown(missing, "-"),
            ...shown(extra, "+"),
          ].join("\n"),
          fix: `replay it with: ${replay}`,
        });
      }
      if (r.fired.length === 0) break;
    }
    return { seed: o.seed, planned, fired, rounds: round, attempts, lines: expected.length, log };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The command that replays a round: the faults of earlier rounds left out through `BEAMLINE_FAULT_SKIP`. */
function replayCommand(file: string, seed: number, count: number, skip: ReadonlySet<number>, args: readonly string[]): string {
  const env = skip.size > 0 ? `BEAMLINE_FAULT_SKIP=${[...skip].join(",")} ` : "";
  return `${env}npx beamline run ${path.relative(process.cwd(), file) || file} --inject-faults=${seed}:${count} ${args.join(" ")}`;
}

function runFailed(file: string, seed: number, count: number, what: string, code: number, log: readonly string[], args: readonly string[], fired: readonly PlannedFault[] = [], replay?: string): BeamlineError {
  return new BeamlineError({
    code: "BL_RUN_FAILED_UNDER_FAULTS",
    where: file,
    value: `seed ${seed}`,
    rule: [
      `${what} failed (exit code ${code}); the faults that fired:`,
      ...(fired.length > 0 ? fired.map((f) => `  #${f.id} ${f.kind}: ${describeFault(f)}`) : ["  none"]),
      "its last lines:",
      ...log.slice(-15).map((l) => `  ${l}`),
    ].join("\n"),
    fix: `replay it with: ${replay ?? `npx beamline run ${file} ${args.join(" ")}`}${replay ? "" : ` (then under faults: --inject-faults=${seed}:${count})`}`,
  });
}
