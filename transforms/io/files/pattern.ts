/** File patterns: globs, plain paths and lists of them, expanded to sorted absolute paths. */
import * as fs from "node:fs";
import * as path from "node:path";
import fg from "fast-glob";
import { IOError } from "../../../sdk/errors";
import { ioFailure } from "./io-errors";

/** A file pattern: a glob (`data/*.csv`, `logs/**\/*.gz`), a plain path, or a list of them. */
export type FilePattern = string | readonly string[];

/** Describes a pattern for messages and payloads. */
export function patternList(pattern: FilePattern): string[] {
  return typeof pattern === "string" ? [pattern] : [...pattern];
}

/**
 * Expands a pattern to a sorted, de-duplicated list of absolute file paths. A plain path that exists
 * matches itself even if it contains glob characters. Throws an IOError when a pattern matches nothing.
 */
export function expandPattern(pattern: FilePattern, where = "file pattern"): string[] {
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
  const out = new Set<string>();
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
    const literal = path.resolve(p);
    let matched: string[];
    if (isFile(literal)) matched = [literal];
    else {
      try {
        matched = fg.sync(p.split(path.sep).join("/"), { onlyFiles: true, absolute: true, dot: false, unique: true });
      } catch (e) {
        // A directory on the way cannot be listed (no permission, or it is a file).
        throw ioFailure(literal, e, "search for");
      }
    }
    if (matched.length === 0) {
      const dir = isDirectory(literal);
      throw new IOError({
        code: "BL_IO_NO_MATCH",
        where,
        value: p,
        rule: dir ? "is a directory, and a pattern names files" : `the pattern matched no file (searched from ${process.cwd()})`,
        fix: dir ? `to read every file in it, pass "${path.join(p, "*")}"` : "check the path and the glob, or create the input files before running the pipeline",
      });
    }
    for (const m of matched) out.add(path.normalize(m));
  }
  return [...out].sort();
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
