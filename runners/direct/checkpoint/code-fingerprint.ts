/**
 * The code a checkpoint was taken with: the pipeline file and the local modules it imports (not
 * Beamline's own, not installed packages), each with the SHA-256 of its content, by path relative to
 * the pipeline file's folder. A resume compares it with the code at hand: the graph's fingerprint does
 * not change when only a function's body does, and a resume across such a change would mix the old
 * code's results with the new code's in one output.
 *
 * The modules come from the module tree Node loaded the pipeline file with (the `beamline` command
 * requires it first, so the tree holds every local module it imports); without one (a test runner with
 * its own module registry), from esbuild's resolution of the file's imports.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Content hashes of a pipeline's own code, by path relative to the pipeline file's folder. */
export type CodeFiles = Record<string, string>;

const ROOT = path.resolve(__dirname, "../../..");
/** Beamline's own sources: a new version of Beamline is not a change of the pipeline's code. */
const OWN = ["sdk", "runners", "transforms", "index.ts"].map((p) => path.join(ROOT, p));

function isUserFile(file: string): boolean {
  if (!path.isAbsolute(file) || file.split(path.sep).includes("node_modules")) return false;
  return !OWN.some((p) => file === p || file.startsWith(p + path.sep));
}

/** The local modules Node loaded `file` with, from its module tree; null when Node did not load it. */
function loadedTree(file: string): string[] | null {
  const cache = typeof require === "function" ? (require.cache as NodeJS.Dict<NodeJS.Module> | undefined) : undefined;
  const root = cache?.[file];
  if (!root) return null;
  const out = new Set<string>();
  const visit = (m: NodeJS.Module) => {
    if (out.has(m.filename) || !isUserFile(m.filename)) return;
    out.add(m.filename);
    for (const c of m.children) visit(c);
  };
  visit(root);
  return [...out];
}

/** The local modules `file` imports, as esbuild resolves them. */
function resolvedImports(file: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require("esbuild") as typeof import("esbuild");
  const result = buildSync({
    entryPoints: [file],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    packages: "external",
    // Beamline's own modules (by name or by path) are not followed: only the user's are hashed.
    external: ["beamline", ...OWN.map((p) => (p.endsWith(".ts") ? p : `${p}/*`))],
    platform: "node",
    format: "cjs",
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .map((f) => path.resolve(ROOT, f))
    .filter(isUserFile);
}

/** The code of the pipeline declared in `file`: it and its local modules, hashed. */
export function codeFiles(file: string): CodeFiles {
  let files = loadedTree(file);
  if (files === null) {
    try {
      files = resolvedImports(file);
    } catch {
      files = [file]; // esbuild cannot read it: the file alone
    }
  }
  const dir = path.dirname(file);
  const out: CodeFiles = {};
  for (const f of files.sort()) out[path.relative(dir, f)] = createHash("sha256").update(fs.readFileSync(f)).digest("hex");
  return out;
}

/** The files that differ between the code a checkpoint was taken with and the code at hand: changed, added or removed. */
export function changedFiles(taken: CodeFiles, now: CodeFiles): string[] {
  const names = new Set([...Object.keys(taken), ...Object.keys(now)]);
  return [...names].filter((n) => taken[n] !== now[n]).sort();
}
