/** Reading what the thread tests' pipelines wrote. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Every non-empty line of every file in `dir` whose name starts with `prefix`, sorted. */
export function outputLines(dir: string, prefix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => l !== "")
    .sort();
}
