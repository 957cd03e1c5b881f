"use strict";
// Loading a worker bundle with V8's code cache: the bytecode of the bundle's functions, kept beside
// the bundle (`<bundle>.v8cache`), so that a worker does not compile again what an earlier worker
// compiled. The cache is written by a worker that found none it could use, once its run is over (so
// that it holds every function the run compiled, not just the bundle's top level): the worker calls
// the function at `Symbol.for("beamline.writeCodeCache")` on globalThis, set here, before reporting
// done. V8 refuses a cache made from other source or by another V8 or other flags; the next worker
// then writes it anew. A bundle that imports dynamically (`import(...)`) is loaded by `require`, with
// no cache: a script compiled here could not import. Plain JavaScript: it runs before anything
// compiles TypeScript.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");

/** Where the function that writes the code cache is kept on globalThis. */
const WRITE_CODE_CACHE = Symbol.for("beamline.writeCodeCache");

/** The code cache file of a bundle. */
function codeCacheFile(bundle) {
  return `${bundle}.v8cache`;
}

/** A dynamic import in code (a call of `import`, not a method of that name). */
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(/;

/** Runs `bundle` as `require` would (a CommonJS module of its own), compiled with its code cache when V8 accepts it. */
function loadWithCodeCache(bundle) {
  const source = fs.readFileSync(bundle, "utf8");
  if (DYNAMIC_IMPORT.test(source)) return require(bundle);
  const file = codeCacheFile(bundle);
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    // No cache yet: this worker writes one after its run.
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    globalThis[WRITE_CODE_CACHE] = () => {
      delete globalThis[WRITE_CODE_CACHE];
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
      } catch {
        // A cache is an optimization: without one, the next worker compiles as this one did.
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // Nothing more to tidy.
        }
      }
    };
  }
  const dir = path.dirname(bundle);
  const m = new Module(bundle, module);
  m.filename = bundle;
  m.paths = Module._nodeModulePaths(dir);
  require.cache[bundle] = m;
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, dir);
  m.loaded = true;
  return m.exports;
}

module.exports = { WRITE_CODE_CACHE, codeCacheFile, loadWithCodeCache };
