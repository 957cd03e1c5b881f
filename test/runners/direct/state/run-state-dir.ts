/**
 * Runs the first-visits example on the disk state backend, in a process of its own (a hang cannot
 * outlive the test's kill timer): `node --import tsx run-state-dir.ts LINK OUTPUT PARALLELISM`.
 * `LINK` is a symbolic link to a writable directory while the runner checks `--state-dir` (LINK/state),
 * then is pointed at `/proc`, so that the state files' directory fails inside the disk backend
 * itself, in every instance. Prints the run's error code, or `done`.
 */
import * as fs from "node:fs";
import { buildPipeline, DirectRunner, BeamlineError } from "beamline";
import firstVisits from "../../../../examples/first-visits";

async function main(): Promise<void> {
  const [link, output, parallelism] = process.argv.slice(2);
  const runner = new DirectRunner({ parallelism: Number(parallelism), stateBackend: "disk", stateDir: `${link}/state` });
  fs.unlinkSync(link);
  fs.symlinkSync("/proc", link);
  try {
    await runner.run(buildPipeline(firstVisits, { visits: 2000, users: 300, output }));
    process.stdout.write("done\n");
  } catch (e) {
    process.stdout.write(`${e instanceof BeamlineError ? e.code : "not a BeamlineError"}\n${e instanceof Error ? e.message : String(e)}\n`);
  }
}

void main();
