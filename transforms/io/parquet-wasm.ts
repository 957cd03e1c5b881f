/**
 * parquet-wasm, loaded and kept safe from its traps. A corrupt file can make the decoder panic, which
 * in WebAssembly is a trap (`RuntimeError: unreachable`); in an async read the trap is thrown from a
 * microtask of the module's own, where no caller can catch it, and it would end the process. The
 * module is evaluated here with a `queueMicrotask` that catches such a trap: the instance is dropped
 * (a trapped instance is not used again; the next call loads a fresh one) and every call under way on
 * it rejects with the trap, so the caller can tell which file it was reading.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import type * as pw from "parquet-wasm/node/parquet_wasm";
import { IOError } from "../../sdk/errors";

/** One loaded instance of the module, and the rejections of the calls under way on it. */
interface Instance {
  readonly module: typeof pw;
  readonly pending: Set<(trap: unknown) => void>;
}

let current: Instance | null = null;

/** WebAssembly's trap error class (the project's TypeScript libraries do not declare `WebAssembly`). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

/** Whether an error is a WebAssembly trap (the decoder panicked; its instance is unusable). */
export function isWasmTrap(e: unknown): boolean {
  return e instanceof WasmRuntimeError;
}

/**
 * The loaded instance, or a new one: parquet-wasm's node build, evaluated as CommonJS (its package
 * marks every file as an ES module while the node build is CommonJS, so plain `require` fails under
 * Node), with the guarded `queueMicrotask`.
 */
function instance(): Instance {
  if (current) return current;
  let file: string;
  try {
    file = require.resolve("parquet-wasm");
    if (!/[\\/]node[\\/]parquet_wasm\.js$/.test(file)) file = path.join(path.dirname(path.dirname(file)), "node", "parquet_wasm.js");
  } catch (e) {
    throw new IOError({ code: "BL_PARQUET_MISSING", domain: "internal", value: "parquet-wasm", rule: "the parquet-wasm package cannot be found", fix: "install it: npm install parquet-wasm@0.7.1", cause: e });
  }
  const mod = { exports: {} as Record<string, unknown> };
  const inst: Instance = { module: mod.exports as unknown as typeof pw, pending: new Set() };
  const guardedMicrotask = (task: () => void) =>
    queueMicrotask(() => {
      try {
        task();
      } catch (e) {
        if (!isWasmTrap(e)) throw e;
        drop(inst, e);
      }
    });
  const src = fs.readFileSync(file, "utf8");
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function("exports", "require", "module", "__filename", "__dirname", "queueMicrotask", src)(mod.exports, createRequire(file), mod, file, path.dirname(file), guardedMicrotask);
  current = inst;
  return inst;
}

/** Stops using a trapped instance and rejects every call under way on it. */
function drop(inst: Instance, trap: unknown): void {
  if (current === inst) current = null;
  for (const reject of inst.pending) reject(trap);
  inst.pending.clear();
}

/** Runs `f` on the module synchronously; a trap in it drops the instance (and rejects the calls under way on it) before it is rethrown. */
export function withParquetWasmSync<T>(f: (module: typeof pw) => T): T {
  const inst = instance();
  try {
    return f(inst.module);
  } catch (e) {
    if (isWasmTrap(e)) drop(inst, e);
    throw e;
  }
}

/**
 * Runs `f` on the module; rejects with the trap when the instance traps while `f` is under way (in `f`
 * or in a microtask of any call on it), after dropping the instance.
 */
export async function withParquetWasm<T>(f: (module: typeof pw) => T | Promise<T>): Promise<T> {
  const inst = instance();
  let reject!: (trap: unknown) => void;
  const trapped = new Promise<never>((_, r) => (reject = r));
  inst.pending.add(reject);
  try {
    return await Promise.race([Promise.resolve().then(() => f(inst.module)), trapped]);
  } catch (e) {
    if (isWasmTrap(e)) drop(inst, e);
    throw e;
  } finally {
    inst.pending.delete(reject);
  }
}
