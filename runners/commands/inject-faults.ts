/**
 * `beamline run FILE --inject-faults=SEED:COUNT`: a soak run under COUNT faults of seed SEED's plan
 * (`runners/direct/faults/plan.ts`). The command supervises attempts of the run in child processes,
 * each armed (through `BEAMLINE_FAULT`) with the faults that have not fired yet; a fault fires once
 * (each records itself in a log directory) and says so on stderr. A child killed by a crash fault is
 * run again with `--resume`, at most once per fault; faults inside a child (a thread dying, reads and
 * commits failing) are ridden out there, by the restart strategy and retries. The run ends as its last
 * attempt did, and says which faults fired and which the run ended before reaching.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OptionError } from "../../sdk/errors";
import { faultPlan, faultSpec, type PlannedFault } from "../direct/faults/plan";
import { describeFault } from "../direct/faults/fault-points";

/** The `beamline` command that children run. */
const CLI = path.join(__dirname, "..", "..", "bin", "beamline.js");

/** A seed and a number of faults, as `--inject-faults` takes them. */
export interface FaultSeed {
  readonly seed: number;
  readonly count: number;
}

/** Parses `SEED:COUNT`; throws an OptionError naming the value otherwise. */
export function parseFaultSeed(value: string): FaultSeed {
  const m = /^(\d{1,9}):(\d{1,4})$/.exec(value);
  if (!m || Number(m[2]) < 1) {
    throw new OptionError({
      code: "BL_BAD_INJECT_FAULTS",
      where: "--inject-faults",
      value,
      rule: "--inject-faults takes SEED:COUNT, two integers: the seed of the fault plan (0 or more) and how many faults to inject (1 or more)",
      fix: "pass e.g. --inject-faults=42:20 (20 faults from seed 42); the same value replays the same faults",
    });
  }
  return { seed: Number(m[1]), count: Number(m[2]) };
}

/** Where a supervised run writes. */
export interface FaultRunIO {
  out(text: string): void;
  err(text: string): void;
}

/** What a run under faults is given. */
export interface FaultRunOptions extends FaultSeed {
  /** The pipeline file. */
  readonly file: string;
  /** The `beamline run` arguments besides the file (pipeline and runner options), without `--inject-faults`. */
  readonly args: readonly string[];
  /** Faults of the plan that fired in an earlier run and are left out. */
  readonly skip?: ReadonlySet<number>;
  readonly io: FaultRunIO;
}

/** How a run under faults ended. */
export interface FaultRunResult {
  /** The exit code of its last attempt (0: the run completed). */
  readonly code: number;
  /** The faults of the plan this run armed. */
  readonly armed: readonly PlannedFault[];
  /** Those that fired, in the order they did. */
  readonly fired: readonly PlannedFault[];
  /** The child processes it took (1 + resumes). */
  readonly attempts: number;
}

const given = (args: readonly string[], name: string) => args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));

/** The faults recorded in `log` (each fault's file), in the order they fired. */
function firedIn(log: string, plan: readonly PlannedFault[]): PlannedFault[] {
  const files = fs.readdirSync(log).map((f) => ({ id: Number(/^fault-(\d+)$/.exec(f)?.[1] ?? 0), at: fs.statSync(path.join(log, f)).mtimeMs }));
  return files.sort((a, b) => a.at - b.at).flatMap(({ id }) => plan.filter((f) => f.id === id));
}

/** Runs one attempt: `beamline run FILE args…` with the faults armed, its output passed on line by line. */
function attempt(file: string, args: readonly string[], env: NodeJS.ProcessEnv, io: FaultRunIO): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "run", file, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    const lines = (write: (t: string) => void) => {
      let rest = "";
      return {
        data: (d: Buffer) => {
          const parts = (rest + d.toString()).split("\n");
          rest = parts.pop()!;
          for (const l of parts) write(l);
        },
        end: () => rest !== "" && write(rest),
      };
    };
    const out = lines((t) => io.out(t));
    const err = lines((t) => io.err(t));
    child.stdout.on("data", out.data);
    child.stderr.on("data", err.data);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      out.end();
      err.end();
      resolve({ code, signal });
    });
  });
}

/**
 * Runs `beamline run FILE args…` under the faults of seed `seed` (but those in `skip`), resuming
 * after each crash. Adds a temporary `--checkpoint-dir` and a fixed-delay restart strategy when the
 * arguments have none.
 */
export async function runUnderFaults(o: FaultRunOptions): Promise<FaultRunResult> {
  const armed = faultPlan(o.seed, o.count).filter((f) => !o.skip?.has(f.id));
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-faults-"));
  const log = path.join(temp, "fired");
  fs.mkdirSync(log);
  const args = [...o.args];
  if (!given(args, "checkpoint-dir")) {
    args.push(`--checkpoint-dir=${path.join(temp, "checkpoints")}`);
    o.io.err(`beamline: --inject-faults: checkpoints in ${path.join(temp, "checkpoints")} (no --checkpoint-dir given)`);
  }
  if (!given(args, "restart-strategy")) args.push("--restart-strategy=fixed-delay", "--restart-delay=20", `--restart-attempts=${o.count + 3}`);
  if (o.count > 0) o.io.err(`beamline: injecting ${armed.length} faults of seed ${o.seed} (--inject-faults=${o.seed}:${o.count}${o.skip?.size ? `, without #${[...o.skip].join(", #")}` : ""})`);
  let attempts = 0;
  let fired: PlannedFault[] = [];
  try {
    for (;;) {
      attempts++;
      const left = armed.filter((f) => !fired.includes(f));
      const env: NodeJS.ProcessEnv = { ...process.env, BEAMLINE_FAULT_LOG: log };
      delete env.BEAMLINE_FAULT_ONCE;
      if (left.length > 0) env.BEAMLINE_FAULT = faultSpec(left);
      else delete env.BEAMLINE_FAULT;
      const resume = attempts > 1 && !given(args, "resume") ? ["--resume"] : [];
      const end = await attempt(o.file, [...args, ...resume], env, o.io);
      const before = fired.length;
      fired = firedIn(log, armed);
      const crashed = end.signal === "SIGKILL" && fired.slice(before).some((f) => f.action === "crash" || f.action === "die");
      if (crashed && attempts <= armed.length) {
        o.io.err(`beamline: attempt ${attempts} was killed by an injected fault; attempt ${attempts + 1} resumes (--resume)`);
        continue;
      }
      const code = end.code ?? (end.signal ? 128 + (os.constants.signals[end.signal] ?? 0) : 1);
      if (code !== 0 && !crashed) o.io.err(`beamline: attempt ${attempts} failed (${end.signal ?? `exit ${end.code}`}) and no injected crash explains it`);
      const missed = armed.filter((f) => !fired.includes(f));
      if (o.count > 0) o.io.err(`beamline: ${fired.length} of ${armed.length} injected faults fired in ${attempts} attempt${attempts === 1 ? "" : "s"} (seed ${o.seed})`);
      for (const f of missed) o.io.err(`beamline: fault #${f.id} did not fire, the run ended before: ${describeFault(f)}`);
      return { code, armed, fired, attempts };
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}
