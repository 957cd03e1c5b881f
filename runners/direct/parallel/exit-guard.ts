/**
 * A user function that calls `process.exit` while an instance of the pipeline runs would end the
 * whole process (on the main thread) or silently end a worker thread, with no report and no restart.
 * While an instance runs, `process.exit` called from its code throws {@link processExitError} instead,
 * like Flink's interception of `System.exit` in user code, and stops the instance with it (whoever
 * catches the throw): the instance fails, the failure is reported, and the restart strategy applies.
 * The instance marks its code as running synchronously, around every call of an operator (see
 * {@link exitGuardScope}), which covers user functions; calls from anything else in the process (a
 * signal handler, a timer, the embedding application, an async continuation of a source) exit as usual,
 * and the CLI then reports an incomplete run. (An async context would also cover continuations, but
 * tracking one slows every promise of the run.)
 */
import { BeamlineError } from "../../../sdk/errors";
import type { CodeScope } from "../execution/user-code";

/** An instance whose code may run, and how to stop it. */
interface Owner {
  readonly index: number;
  readonly stop: (e: BeamlineError) => void;
}

/** The instance whose code is running on this thread now, if any. */
let running: Owner | null = null;
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
    const instance = running;
    if (instance === null) return exit.call(process, code);
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
 * Turns `process.exit` in the code of instance `index` into a {@link processExitError}, also handed to
 * `stop` (to fail the instance with it), until `release` is called; `scope` marks that code.
 */
export function exitGuardScope(index: number, stop: (e: BeamlineError) => void): { readonly scope: CodeScope; readonly release: () => void } {
  install();
  const owner: Owner = { index, stop };
  let released = false;
  return {
    scope<R>(f: () => R): R {
      const previous = running;
      running = owner;
      try {
        return f();
      } finally {
        running = previous;
      }
    },
    release() {
      if (released) return;
      released = true;
      uninstall();
    },
  };
}
