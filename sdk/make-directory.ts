/**
 * Making a directory and its missing parents so that the call always ends: Node's
 * `mkdirSync(dir, { recursive: true })` (and `fs.promises.mkdir`) never return when a parent exists
 * but answers ENOENT for a child it cannot hold (any path under `/proc`), which a mistyped
 * `--output`, `--checkpoint-dir` or `--state-dir` would otherwise turn into a run that hangs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Whether `p` is a directory (following symbolic links); false when it is anything else or nothing. */
function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Makes directory `dir` and its missing parents, or throws the first failure; visits each level once, so it always ends. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !isDirectory(d); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A file where a directory must be: what Node's recursive mkdir reports, ENOTDIR.
      if (!isDirectory(d)) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR", errno: -20, syscall: "mkdir", path: d });
      // Otherwise made meanwhile by another instance: as good as made here.
    }
  }
}
