/**
 * Runs one benchmark child process (node with `args`), with a timeout, and reads the JSON result it
 * writes to the file named by `BENCH_RESULT_FILE`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Node options that load a child's TypeScript as `beamline` does (runners/load/register.js). */
export const LOAD_TS = ["--require", path.join(__dirname, "..", "runners", "load", "register.js")];

/** Runs one child; resolves to its result, or to the reason it gave none. */
export function runChild<T>(cwd: string, args: string[], resultFile: string, timeoutSeconds: number): Promise<{ result: T; wallSeconds: number } | { failure: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    // The child's own stdout goes to our stderr: stdout carries only the JSON lines.
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", 2, 2], env: { ...process.env, BENCH_RESULT_FILE: resultFile } });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutSeconds * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ failure: `could not start the child process: ${e.message}` });
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (timedOut) return resolve({ failure: `timed out after ${timeoutSeconds} s` });
      if (code !== 0 || !fs.existsSync(resultFile)) return resolve({ failure: `the child process failed (${signal ? `signal ${signal}` : `exit code ${code}`}); its stderr is above` });
      resolve({ result: JSON.parse(fs.readFileSync(resultFile, "utf8")) as T, wallSeconds });
    });
  });
}
