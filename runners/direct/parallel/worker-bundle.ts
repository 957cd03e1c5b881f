/**
 * Pre-bundled worker threads. A worker that loads the pipeline module and the runner through tsx
 * compiles and resolves each TypeScript file on its own; one CommonJS file holding the worker's main
 * module and the pipeline module (and everything they import from this package and the pipeline's
 * folder; npm packages stay `require`s) loads in about half the time. Bundles live in a cache under
 * the package's `node_modules/.cache` (so that packages resolve from there), one per pipeline module,
 * and are used only while every file that went into them has the content it had then. A module that
 * refers to `__filename` or `__dirname` is not bundled (in a bundle they would name the bundle), except
 * Beamline's own, which use them only where a worker never goes; nor is one whose packages would
 * resolve differently from the cache than from the module (such as a project of its own that depends
 * on `beamline`).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The package's root directory. */
const ROOT = path.resolve(__dirname, "../../..");

/** Turns bundling off (`0`), for comparisons. */
export const WORKER_BUNDLE_ENV = "BEAMLINE_WORKER_BUNDLE";

interface Manifest {
  /** The bundle's file name, inside the entry's cache folder; null when the module cannot be bundled. */
  readonly bundle: string | null;
  /** Every input file with the SHA-256 of its content. */
  readonly inputs: { readonly file: string; readonly sha256: string }[];
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function unchanged(inputs: Manifest["inputs"]): boolean {
  for (const { file, sha256: hash } of inputs) {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch {
      return false;
    }
    if (sha256(content) !== hash) return false;
  }
  return true;
}

/** Writes a file whole or not at all. */
function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * The code every worker bundle starts from: the pipeline module is handed to the bootstrap (a bundle
 * cannot `require` it by path), then the worker's main module runs.
 */
function entryCode(pipelineFile: string): string {
  const bootstrap = path.join(__dirname, "bootstrap.ts");
  const worker = path.join(__dirname, "worker.ts");
  return [
    `require(${JSON.stringify(bootstrap)}).providePipelineModule(${JSON.stringify(pipelineFile)}, require(${JSON.stringify(pipelineFile)}));`,
    `require(${JSON.stringify(worker)});`,
  ].join("\n");
}

/**
 * The path of a worker bundle for `pipelineFile`, built (or rebuilt after any of its inputs changed)
 * into the cache; null when bundling is off or not possible here (no writable `node_modules`, or
 * esbuild fails on the module), in which case workers load the sources through tsx.
 */
export function workerBundle(pipelineFile: string): string | null {
  if (process.env[WORKER_BUNDLE_ENV] === "0") return null;
  const modules = path.join(ROOT, "node_modules");
  if (!fs.existsSync(modules)) return null;
  const dir = path.join(modules, ".cache", "beamline-workers", sha256(`${pipelineFile}\n${__dirname}`).slice(0, 24));
  const manifestFile = path.join(dir, "manifest.json");
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
    const bundle = manifest.bundle === null ? null : path.join(dir, manifest.bundle);
    if ((bundle === null || fs.existsSync(bundle)) && unchanged(manifest.inputs)) {
      touch(manifestFile);
      return bundle;
    }
  } catch {
    // No bundle yet, or an unreadable manifest: build one.
  }
  try {
    return build(pipelineFile, dir, manifestFile);
  } catch {
    return null;
  }
}

/** Whether a package import resolves to the same file from both folders. */
function resolvesAlike(request: string, from: string, to: string): boolean {
  try {
    return require.resolve(request, { paths: [from] }) === require.resolve(request, { paths: [to] });
  } catch {
    return false;
  }
}

const ARROW = "apache-arrow";
/** Packages bundled with the worker: plain JavaScript, nothing located next to their files. */
const BUNDLED_PACKAGES = [ARROW, "fast-glob"];

/** Beamline's own runtime modules (their uses of `__dirname` and `__filename` are not a worker's). */
const OWN = ["sdk", "runners", "transforms", "index.ts"].map((p) => path.join(ROOT, p));

function build(pipelineFile: string, dir: string, manifestFile: string): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require("esbuild") as typeof import("esbuild");
  const options = {
    stdin: { contents: entryCode(pipelineFile), resolveDir: ROOT, sourcefile: "beamline-worker-entry.js", loader: "js" as const },
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node" as const,
    format: "cjs" as const,
    target: "node20",
    write: false as const,
    metafile: true as const,
    logLevel: "silent" as const,
    // A source map beside the bundle, read only to name the user's line when an error comes from a worker.
    outfile: path.join(dir, "worker.js"),
    sourcemap: "external" as const,
    sourcesContent: false,
  };
  const outputs = (files: { path: string; contents: Uint8Array; text: string }[]) => ({
    js: files.find((f) => f.path.endsWith(".js"))!.contents,
    map: absoluteSources(files.find((f) => f.path.endsWith(".map"))?.text, dir),
  });
  const result = buildSync({ ...options, packages: "external" });
  let { js: code, map } = outputs(result.outputFiles);
  const inputs: Manifest["inputs"] = [];
  const packages = new Set<string>();
  let bundleable = true;
  for (const [input, { imports }] of Object.entries(result.metafile.inputs)) {
    if (input.startsWith("<stdin>") || input === "beamline-worker-entry.js") continue;
    const file = path.resolve(ROOT, input);
    for (const i of imports) {
      // Relative imports esbuild lists as external are TypeScript imports of types only, left out.
      const request = i.original ?? i.path;
      if (!i.external || /^[./]/.test(request)) continue;
      packages.add(request);
      if (!resolvesAlike(request, path.dirname(file), dir)) bundleable = false;
    }
    const content = fs.readFileSync(file);
    inputs.push({ file, sha256: sha256(content) });
    const own = OWN.some((p) => file === p || file.startsWith(p + path.sep));
    if (!own && /\b__(file|dir)name\b/.test(content.toString("utf8"))) bundleable = false;
  }
  fs.mkdirSync(dir, { recursive: true });
  if (!bundleable) {
    writeAtomically(manifestFile, JSON.stringify({ bundle: null, inputs } satisfies Manifest));
    prune(dir, "");
    return null;
  }
  if (packages.has(ARROW)) {
    // Apache Arrow (and fast-glob) go into the bundle too: loading their many modules one by one is
    // most of the rest. Arrow's CommonJS build, which `require` gets, for `import` as well: one copy.
    const arrow = require.resolve(ARROW, { paths: [ROOT] });
    const inside = (p: string) => BUNDLED_PACKAGES.some((b) => p === b || p.startsWith(`${b}/`));
    const external = [...packages].filter((p) => !inside(p));
    ({ js: code, map } = outputs(buildSync({ ...options, external, alias: { [ARROW]: arrow } }).outputFiles));
    // A bundled package's version stands for its files (its package.json found by path: packages need not export it).
    for (const name of BUNDLED_PACKAGES) {
      if (!packages.has(name)) continue;
      let root = path.dirname(require.resolve(name, { paths: [ROOT] }));
      while (!fs.existsSync(path.join(root, "package.json")) && path.dirname(root) !== root) root = path.dirname(root);
      const manifest = path.join(root, "package.json");
      inputs.push({ file: manifest, sha256: sha256(fs.readFileSync(manifest)) });
    }
  }
  const name = `worker-${sha256(code).slice(0, 24)}.js`;
  const bundle = path.join(dir, name);
  if (map && !fs.existsSync(`${bundle}.map`)) writeAtomically(`${bundle}.map`, map);
  if (!fs.existsSync(bundle)) writeAtomically(bundle, code);
  writeAtomically(manifestFile, JSON.stringify({ bundle: name, inputs } satisfies Manifest));
  prune(dir, name);
  return bundle;
}

/**
 * A source map whose sources are absolute paths: relative ones would resolve against wherever the
 * bundle is found (through a symbolic link to `node_modules`, another folder).
 */
function absoluteSources(map: string | undefined, dir: string): string | undefined {
  if (map === undefined) return undefined;
  const m = JSON.parse(map) as { sources: string[] };
  m.sources = m.sources.map((s) => path.resolve(dir, s));
  return JSON.stringify(m);
}

/** Older bundles of a module stay a while (a worker of a run that began before may still load one). */
const KEEP_OLD_BUNDLE_MS = 10 * 60_000;
/** Cache entries no run has used for this long go (those of temporary pipeline files, for one). */
const KEEP_ENTRY_MS = 24 * 3_600_000;

/** Marks a cache entry as used now (entries unused for a day are pruned). */
function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // Only housekeeping depends on it.
  }
}

/** Removes a module's superseded bundles, and cache entries no run has used for a day. */
function prune(dir: string, current: string): void {
  const now = Date.now();
  const older = (p: string, ms: number) => {
    try {
      return now - fs.statSync(p).mtimeMs > ms;
    } catch {
      return false;
    }
  };
  try {
    for (const f of fs.readdirSync(dir)) {
      const own = f === current || f.startsWith(`${current}.`);
      if (!own && /^worker-.*\.js(\.map|\.v8cache)?$/.test(f) && older(path.join(dir, f), KEEP_OLD_BUNDLE_MS)) fs.rmSync(path.join(dir, f), { force: true });
    }
    const cache = path.dirname(dir);
    for (const e of fs.readdirSync(cache)) {
      const entry = path.join(cache, e);
      if (entry !== dir && older(path.join(entry, "manifest.json"), KEEP_ENTRY_MS)) fs.rmSync(entry, { recursive: true, force: true });
    }
  } catch {
    // Pruning is housekeeping: a failure leaves files behind, nothing more.
  }
}
