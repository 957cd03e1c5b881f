/** Shared test helpers: run a pipeline and sort rows for order-insensitive comparison. */
import { Pipeline, runPipeline } from "beamline";

/** Runs a pipeline on the direct runner. */
export async function run(p: Pipeline): Promise<void> {
  await runPipeline(p);
}

/** Sorts rows by their JSON form, for comparisons that ignore order. */
export function sorted<T>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

/** A fresh temporary directory. */
export function tempDir(prefix = "beamline-test-"): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("node:fs") as typeof import("node:fs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require("node:os") as typeof import("node:os");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require("node:path") as typeof import("node:path");
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
