/** Shared test helpers: run a pipeline and sort rows for order-insensitive comparison. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Pipeline, runPipeline } from "beamline";
import { seededRandom } from "../runners/direct/faults/seeded-random";

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
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A seeded pseudo-random generator (mulberry32) in [0, 1), for reproducible test data. */
export const rng = seededRandom;

/** What `f` throws; fails the test when it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to throw, and it returned");
}

/** Polls `f` every `everyMs` until it returns a value other than undefined; fails after `ms`, naming `what`. */
export async function until<T>(f: () => Promise<T | undefined>, ms: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
