"use strict";
// How Beamline's TypeScript sources are loaded: users' files (pipelines, tests) through tsx, and
// Beamline's own modules (index.ts, sdk/, runners/, transforms/) compiled by esbuild without tsx's
// `keepNames`. keepNames wraps every function expression in `__name(fn, "name")`, which defines a
// property on the function and so turns each closure into a dictionary-mode object of about 300
// bytes; closures made per key or per element (state cells, timers, contexts) then doubled the heap
// per key of a stateful DoFn (5.1 KB against 2.5 KB) and cost its run 60% more CPU. Without
// minification esbuild renames nothing, so function names are the same either way. Compiled modules
// are cached under node_modules/.cache/beamline-ts by the hash of their source and the options.
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

require("tsx/cjs/api").register();

const ROOT = path.resolve(__dirname, "../..");
const OWN_DIRS = ["sdk", "runners", "transforms"].map((d) => path.join(ROOT, d) + path.sep);
const OWN_FILES = new Set([path.join(ROOT, "index.ts")]);
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const CACHE = path.join(ROOT, "node_modules", ".cache", "beamline-ts");

/** Whether `file` is one of Beamline's own modules (not a user's file, not a dependency). */
function isOwn(file) {
  return (OWN_FILES.has(file) || OWN_DIRS.some((d) => file.startsWith(d))) && !file.includes(NODE_MODULES);
}

let esbuild = null;
let optionsKey = null;
const options = { loader: "ts", format: "cjs", target: "node20", sourcemap: "inline", keepNames: false };

/** The compiled JavaScript of `file`, from the cache when its source was compiled before. */
function compile(file) {
  const source = fs.readFileSync(file, "utf8");
  esbuild ??= require("esbuild");
  optionsKey ??= `${esbuild.version}:${JSON.stringify(options)}`;
  const key = crypto.createHash("sha256").update(optionsKey).update("\0").update(file).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    // Not compiled yet.
  }
  const { code } = esbuild.transformSync(source, { ...options, sourcefile: file });
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  } catch {
    // A read-only checkout compiles on every load instead.
  }
  return code;
}

const tsx = Module._extensions[".ts"];
Module._extensions[".ts"] = function load(module, filename) {
  if (!isOwn(filename)) return tsx.call(this, module, filename);
  module._compile(compile(filename), filename);
};
