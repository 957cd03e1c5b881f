/**
 * Where in the user's code an error arose: the first stack frame of the error (or of its causes) in
 * the pipeline file, else in a local module it imports (see `code-fingerprint.ts`). Frames of a
 * worker bundle are mapped back to their source through the bundle's source map, read only here.
 */
import * as fs from "node:fs";
import { SourceMap } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { codeFiles } from "./checkpoint/code-fingerprint";

/** A position in a source file. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /^\s*at (?:.*? \()?(?:file:\/\/)?(\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/;

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  let m = maps.get(file);
  if (m === undefined) {
    try {
      m = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")));
    } catch {
      m = null;
    }
    maps.set(file, m);
  }
  return m;
}

/** A frame's position, through the source map beside its file when there is one. */
function original(p: SourcePosition): SourcePosition {
  const map = sourceMapOf(p.file);
  if (!map) return p;
  const e = map.findEntry(p.line - 1, p.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (!e.originalSource || e.originalLine === undefined) return p;
  const source = e.originalSource.startsWith("file://") ? fileURLToPath(e.originalSource) : path.resolve(path.dirname(p.file), e.originalSource);
  return { file: source, line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1 };
}

/** The frames of `e` and its causes, in order, mapped to their sources. */
function frames(e: unknown): SourcePosition[] {
  const out: SourcePosition[] = [];
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) {
    for (const line of (x.stack ?? "").split("\n")) {
      const m = FRAME.exec(line);
      if (m) out.push(original({ file: m[1], line: Number(m[2]), column: Number(m[3]) }));
    }
  }
  return out;
}

/** The frame of the user's code `e` arose in: the first in `pipelineFile`, else the first in a module it imports; or null. */
export function userFrame(e: unknown, pipelineFile: string): SourcePosition | null {
  const all = frames(e);
  const inFile = all.find((f) => f.file === pipelineFile);
  if (inFile || all.length === 0) return inFile ?? null;
  const dir = path.dirname(pipelineFile);
  try {
    const modules = new Set(Object.keys(codeFiles(pipelineFile)).map((f) => path.resolve(dir, f)));
    return all.find((f) => modules.has(f.file)) ?? null;
  } catch {
    return null; // the file is gone meanwhile: no frame to name
  }
}
