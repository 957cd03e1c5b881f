/**
 * Layering checks over source folders: the relative imports of every .ts file (static, type-only,
 * re-exports, `import()` and `require()`), file-level import cycles, and pairs of folders that import
 * each other. Tests pass the root folders they guard and fail on what {@link layeringProblems} returns.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** One file's import of another, both as paths relative to the repository root. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/** What {@link layeringProblems} finds: each cycle as a closed path of files, each folder pair with an import each way. */
export interface LayeringProblems {
  /** File-level import cycles, each as `[a, b, …, a]`. */
  readonly cycles: readonly (readonly string[])[];
  /** Folders that import each other, with one import that proves each direction. */
  readonly folderPairs: readonly { readonly folders: readonly [string, string]; readonly forward: ImportEdge; readonly backward: ImportEdge }[];
}

/** Every .ts file under `dir` (skipping node_modules and hidden folders), as absolute paths. */
function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The file a relative specifier names, or null when it names none (e.g. a .js file or a package). */
function resolveRelative(fromFile: string, spec: string): string | null {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts")]) {
    if (candidate.endsWith(".ts") && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** The relative imports between the .ts files under `roots` (folders relative to `repoRoot`). */
export function importEdges(repoRoot: string, roots: readonly string[]): ImportEdge[] {
  const files = new Set(roots.flatMap((r) => tsFiles(path.resolve(repoRoot, r))));
  const edges: ImportEdge[] = [];
  for (const file of [...files].sort()) {
    const imported = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles;
    for (const { fileName } of imported) {
      if (!fileName.startsWith(".")) continue;
      const target = resolveRelative(file, fileName);
      if (target && files.has(target)) edges.push({ from: path.relative(repoRoot, file), to: path.relative(repoRoot, target) });
    }
  }
  return edges;
}

/** The import cycles among `edges`: one closed path per strongly connected group of files (Tarjan). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (next.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((group) => cycleThrough(group.sort()[0], new Set(group), next));
}

/** The shortest closed path from `start` back to itself inside `group`. */
function cycleThrough(start: string, group: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const chain = [start];
        for (let u = v; u !== start; u = parent.get(u)!) chain.splice(1, 0, u);
        return [...chain, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The folder pairs among `edges` that import each other, each with one import per direction. */
export function mutualFolders(edges: readonly ImportEdge[]): LayeringProblems["folderPairs"] {
  const byPair = new Map<string, ImportEdge>();
  for (const e of edges) {
    const a = path.dirname(e.from);
    const b = path.dirname(e.to);
    if (a !== b && !byPair.has(`${a}\u0000${b}`)) byPair.set(`${a}\u0000${b}`, e);
  }
  const pairs: LayeringProblems["folderPairs"][number][] = [];
  for (const [key, forward] of byPair) {
    const [a, b] = key.split("\u0000");
    const backward = byPair.get(`${b}\u0000${a}`);
    if (backward && a < b) pairs.push({ folders: [a, b], forward, backward });
  }
  return pairs;
}

/** The import cycles and mutually importing folders among the .ts files under `roots`. */
export function layeringProblems(repoRoot: string, roots: readonly string[]): LayeringProblems {
  const edges = importEdges(repoRoot, roots);
  return { cycles: importCycles(edges), folderPairs: mutualFolders(edges) };
}

/** The problems as lines a failing test prints: each cycle's path and each folder pair's two imports. */
export function describeLayeringProblems(p: LayeringProblems): string[] {
  return [
    ...p.cycles.map((c) => `import cycle: ${c.join(" → ")}`),
    ...p.folderPairs.map((f) => `folders import each other: ${f.folders[0]} ⇄ ${f.folders[1]} (${f.forward.from} → ${f.forward.to}; ${f.backward.from} → ${f.backward.to})`),
  ];
}
