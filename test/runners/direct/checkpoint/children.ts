/**
 * Child processes for the recovery tests: pipelines run by the `beamline` command (or a script) in a
 * process of their own, so a test can kill it (`kill -9`) or have it kill itself at a fault point.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";

/** The `beamline` command. */
export const CLI = path.join(__dirname, "..", "..", "..", "..", "bin", "beamline.js");

/** How a child ended, and what it printed. */
export interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly out: string;
  readonly err: string;
}

/** A started child and its exit. */
export interface Child {
  readonly process: ChildProcess;
  readonly exit: Promise<Exit>;
}

/** Starts `node args…` with extra environment variables. */
export function startNode(args: readonly string[], env: Record<string, string> = {}): Child {
  const p = spawn(process.execPath, args, { cwd: __dirname, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  p.stdout!.on("data", (d) => (out += d));
  p.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<Exit>((resolve) => p.on("exit", (code, signal) => resolve({ code, signal, out, err })));
  return { process: p, exit };
}

/** Starts `beamline run <file> <args…>`. */
export function startCli(file: string, args: readonly string[], env: Record<string, string> = {}): Child {
  return startNode([CLI, "run", file, ...args], env);
}

/** Resolves once checkpoint directory `dir` holds a completed checkpoint, or the child ended. */
export async function firstCheckpoint(dir: string, p: ChildProcess): Promise<void> {
  for (let i = 0; i < 600 && p.exitCode === null && p.signalCode === null; i++) {
    if (fs.existsSync(dir) && new CheckpointStore(dir).completed().length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The number of completed checkpoints the command reported, from its stderr. */
export function checkpointsCompleted(err: string): number {
  const m = /checkpoints: (\d+) completed/.exec(err);
  return m ? Number(m[1]) : 0;
}

/**
 * Starts a run with `start(args)`, kills it (`kill -9`) `delayMs` after its first checkpoint in `dir`
 * completed, then runs it again with `--resume`; returns how both ended.
 */
export async function killThenResume(start: (args: string[]) => Child, args: string[], dir: string, delayMs: number): Promise<{ killed: Exit; resumed: Exit }> {
  const first = start(args);
  await firstCheckpoint(dir, first.process);
  await new Promise((r) => setTimeout(r, delayMs));
  first.process.kill("SIGKILL");
  const killed = await first.exit;
  const resumed = await start([...args, "--resume"]).exit;
  return { killed, resumed };
}
