/**
 * The relative imports of the project's own TypeScript files, read from their source text, and the
 * two rules they must keep: no cycle of files (through imports that exist at run time; `import type`
 * is erased) and no two folders that import each other.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The project's root folder. */
export const ROOT = path.resolve(__dirname, "../..");

/** One import of one file: the imported file, both relative to the root, and whether it is type-only. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["'](\.{1,2}\/[^"']+)["']/gm;
/** `require("./x")` and `import("./x")`: run-time imports anywhere in a file. */
const DYNAMIC = /\b(?:require|import)\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** Every `.ts` file below the given folders (relative to the root), tests and `node_modules` aside. */
export function sourceFiles(folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== "node_modules") walk(rel); }
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
    }
  };
  for (const f of folders) {
    if (fs.statSync(path.join(ROOT, f)).isDirectory()) walk(f);
    else out.push(f);
  }
  return out.sort();
}

function resolveImport(root: string, from: string, spec: string): string | null {
  const base = path.join(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, "index.ts")]) {
    if (c.endsWith(".ts") && fs.existsSync(path.join(root, c))) return c;
  }
  return null;
}

/** Whether an import's braces name types alone (`import { type A, type B } from`). */
function onlyTypes(statement: string): boolean {
  const names = /\{([^}]*)\}/.exec(statement)?.[1].split(",").map((n) => n.trim()).filter((n) => n.length > 0);
  return names !== undefined && names.length > 0 && names.every((n) => n.startsWith("type "));
}

/** The relative imports of `files` (relative to `root`) that resolve to TypeScript files below it. */
export function importsOf(files: readonly string[], root: string = ROOT): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = fs.readFileSync(path.join(root, from), "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const to = resolveImport(root, from, m[3]);
      if (to) edges.push({ from, to, typeOnly: m[2] !== undefined || onlyTypes(m[0]) });
    }
    for (const m of text.matchAll(DYNAMIC)) {
      const to = resolveImport(root, from, m[1]);
      if (to) edges.push({ from, to, typeOnly: false });
    }
  }
  return edges;
}

/** Every cycle of files through run-time imports, each as the files around it (first repeated last). */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, "open");
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...next.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

/** Every pair of distinct folders whose files import each other (type imports count), with one import each way. */
export function foldersImportingEachOther(edges: readonly ImportEdge[]): [string, string][] {
  const seen = new Map<string, ImportEdge>();
  for (const e of edges) {
    const a = path.dirname(e.from);
    const b = path.dirname(e.to);
    if (a !== b && !seen.has(`${a} ${b}`)) seen.set(`${a} ${b}`, e);
  }
  const pairs: [string, string][] = [];
  for (const [key, e] of seen) {
    const [a, b] = key.split(" ");
    const back = seen.get(`${b} ${a}`);
    if (back && a < b) pairs.push([`${e.from} -> ${e.to}`, `${back.from} -> ${back.to}`]);
  }
  return pairs;
}
