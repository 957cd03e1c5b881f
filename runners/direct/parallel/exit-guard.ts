/**
 * A user function that calls `process.exit` while an instance of the pipeline runs would end the
 * whole process (on the main thread) or silently end a worker thread, with no report and no restart.
 * While an instance runs, `process.exit` called from its code (found by the instance's async context)
 * throws {@link processExitError} instead, like Flink's interception of `System.exit` in user code,
 * and stops the instance with it (whoever catches the throw): the instance fails, the failure is
 * reported, and the restart strategy applies. Calls from anything
 * else in the process (a signal handler, the embedding application) exit as usual.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { BeamlineError } from "../../../sdk/errors";

/** The instance whose code is running, by async context, and how to stop it. */
const running = new AsyncLocalStorage<{ readonly index: number; readonly stop: (e: BeamlineError) => void }>();
let guards = 0;
let original: typeof process.exit | null = null;
let guarded: typeof process.exit | null = null;

/** The error `process.exit(code)` throws in user code of instance `index`. */
export function processExitError(code: unknown, index: number): BeamlineError {
  return new BeamlineError({
    code: "BL_PROCESS_EXIT",
    domain: "user",
    retriable: true,
    where: `instance ${index} of the pipeline`,
    value: code ?? 0,
    rule: "a user function called process.exit while the pipeline ran; the instance stops instead of the process",
    fix: "throw an Error instead of exiting: the run then fails with it, or restarts under --restart-strategy",
  });
}

function install(): void {
  if (guards++ > 0) return;
  const exit = process.exit;
  original = exit;
  guarded = function exitOutsideInstances(code?: string | number | null) {
    const instance = running.getStore();
    if (instance === undefined) return exit.call(process, code);
    const e = processExitError(code, instance.index);
    instance.stop(e);
    throw e;
  } as typeof process.exit;
  process.exit = guarded;
}

function uninstall(): void {
  if (--guards > 0) return;
  // Someone who replaced process.exit after us keeps theirs.
  if (process.exit === guarded && original) process.exit = original;
  original = guarded = null;
}

/**
 * Runs instance `index` (`run`) with `process.exit` in its code turned into a {@link processExitError},
 * which is also handed to `stop` (to fail the instance with it).
 */
export async function withExitGuard<T>(index: number, stop: (e: BeamlineError) => void, run: () => Promise<T>): Promise<T> {
  install();
  try {
    return await running.run({ index, stop }, run);
  } finally {
    uninstall();
  }
}
