/**
 * A PROCESS worker's failure, carried back to the submitting process: the runner starts the boot
 * command with the environment variable {@link WORKER_REPORTS_ENV} naming a directory the submitting
 * process watches; a worker that fails leaves its error there, and the run ends with it (instead of
 * waiting for ever on a job whose worker never came, its error only in the runner's log).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The environment variable naming the directory a failing PROCESS worker writes its error into. */
export const WORKER_REPORTS_ENV = "BEAMLINE_WORKER_REPORTS";

/** Leaves a worker's error in the report directory its environment names (nothing when it names none). */
export function writeWorkerReport(text: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = env[WORKER_REPORTS_ENV];
  if (!dir) return;
  try {
    fs.writeFileSync(path.join(dir, `worker-${process.pid}.txt`), text);
  } catch {
    // The submitting process has gone (and its directory with it): nobody is left to tell.
  }
}

/** A report directory being watched. */
export interface WorkerReportWatch {
  readonly dir: string;
  /** Resolves to the first worker error left in the directory (never, when none comes). */
  readonly failure: Promise<string>;
  /** Stops watching and removes the directory. */
  stop(): void;
}

/** Creates a report directory under `parent` and polls it every `intervalMs` for a worker's error. */
export function watchWorkerReports(parent: string, intervalMs = 250): WorkerReportWatch {
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, "reports-"));
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".txt"));
      if (files.length === 0) return;
      clearInterval(timer);
      resolve(fs.readFileSync(path.join(dir, files.sort()[0]), "utf8"));
    }, intervalMs);
    timer.unref();
  });
  return {
    dir,
    failure,
    stop() {
      clearInterval(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
