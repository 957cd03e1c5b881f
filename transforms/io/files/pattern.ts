/** File patterns: globs, plain paths and lists of them, expanded to sorted absolute paths. */
import * as fs from "node:fs";
import * as path from "node:path";
import fg from "fast-glob";
import { IOError } from "../../../sdk/errors";
import { isGcsPath } from "./gcs-path";
import { storageFor } from "./storage-for";

/** A file pattern: a glob (`data/*.csv`, `logs/**\/*.gz`), a plain path, or a list of them. */
export type FilePattern = string | readonly string[];

/** Describes a pattern for messages and payloads. */
export function patternList(pattern: FilePattern): string[] {
  return typeof pattern === "string" ? [pattern] : [...pattern];
}

/**
 * Expands a pattern to a sorted, de-duplicated list of absolute file paths. A plain path that exists
 * matches itself even if it contains glob characters. Throws an IOError when a pattern matches nothing.
 * Local files only: `gs://` patterns are matched when the pipeline runs, by {@link matchFiles}.
 */
export function expandPattern(pattern: FilePattern, where = "file pattern"): string[] {
  const patterns = checkedPatterns(pattern, where);
  const out = new Set<string>();
  for (const p of patterns) {
    if (isGcsPath(p)) {
      throw new IOError({
        code: "BL_IO_REMOTE_WHILE_BUILDING",
        where,
        value: p,
        rule: "files on Cloud Storage are listed and read when the pipeline runs, not while it is built (reading a schema from a file happens while it is built)",
        fix: "pass the schema option, or read the schema from a local copy of one file",
      });
    }
    const literal = path.resolve(p);
    let matched: string[];
    if (isFile(literal)) matched = [literal];
    else matched = fg.sync(p.split(path.sep).join("/"), { onlyFiles: true, absolute: true, dot: false, unique: true });
    if (matched.length === 0) throw noMatch(p, where);
    for (const m of matched) out.add(path.normalize(m));
  }
  return [...out].sort();
}

/**
 * Expands a pattern whose parts may be local paths or globs, or `gs://bucket/...` paths or globs, to
 * a sorted, de-duplicated list of files. Throws an IOError when a pattern matches nothing.
 */
export async function matchFiles(pattern: FilePattern, where = "file pattern"): Promise<string[]> {
  const patterns = checkedPatterns(pattern, where);
  if (!patterns.some(isGcsPath)) return expandPattern(patterns, where);
  const out = new Set<string>();
  for (const p of patterns) {
    const matched = await storageFor(p).match(p);
    if (matched.length === 0) throw noMatch(p, where);
    for (const m of matched) out.add(m);
  }
  return [...out].sort();
}

/** The patterns of a pattern, each checked to be a non-empty string. */
function checkedPatterns(pattern: FilePattern, where: string): string[] {
  const patterns = patternList(pattern);
  if (patterns.length === 0) {
    throw new IOError({
      code: "BL_IO_NO_PATTERN",
      where,
      value: pattern,
      rule: "no file pattern was given",
      fix: 'pass a path or a glob such as "data/*.csv"',
    });
  }
  for (const p of patterns) {
    if (typeof p !== "string" || p === "") {
      throw new IOError({
        code: "BL_IO_NO_PATTERN",
        where,
        value: p,
        rule: "a file pattern must be a non-empty string",
        fix: 'pass a path or a glob such as "data/*.csv"',
      });
    }
  }
  return patterns;
}

function noMatch(p: string, where: string): IOError {
  return new IOError({
    code: "BL_IO_NO_MATCH",
    where,
    value: p,
    rule: isGcsPath(p) ? "the pattern matched no object in the bucket" : `the pattern matched no file (searched from ${process.cwd()})`,
    fix: "check the path and the glob, or create the input files before running the pipeline",
  });
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
