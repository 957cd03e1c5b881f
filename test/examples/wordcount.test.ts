import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, runPipeline } from "beamline";
import wordcount, { words } from "../../examples/wordcount";
import { tempDir } from "../helpers";

function readOutput(prefix: string): Map<string, number> {
  const dir = path.dirname(prefix);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(prefix)));
  const counts = new Map<string, number>();
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line) continue;
      const m = /^([a-z]+): (\d+)$/.exec(line);
      if (!m) throw new Error(`malformed output line ${JSON.stringify(line)}`);
      expect(counts.has(m[1])).toBe(false);
      counts.set(m[1], Number(m[2]));
    }
  }
  return counts;
}

describe("wordcount", () => {
  test("words are maximal runs of a-z after lower-casing", () => {
    expect(words("Hello, WORLD! it's 2024-01-01; naïve café x2y ÆBC")).toEqual(["hello", "world", "it", "s", "na", "ve", "caf", "x", "y", "bc"]);
    expect(words("")).toEqual([]);
    expect(words("123 --- 456")).toEqual([]);
  });

  test("counts exactly on mixed case, punctuation, digits and unicode, across files and shards", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "a.txt"), "The the THE tHe.\nDon't stop--believing!\n4 score & 7 years\n");
    fs.writeFileSync(path.join(dir, "b.txt"), "naïve Café, the end\r\nx1y2z3\n\n日本語 the\n");
    const out = path.join(dir, "out", "counts");
    await runPipeline(buildPipeline(wordcount, { input: path.join(dir, "*.txt"), output: out, shards: 3 }));
    const files = fs.readdirSync(path.join(dir, "out")).sort();
    expect(files).toEqual(["counts-00000-of-00003.txt", "counts-00001-of-00003.txt", "counts-00002-of-00003.txt"]);
    expect(Object.fromEntries(readOutput(out))).toEqual({
      the: 6, don: 1, t: 1, stop: 1, believing: 1, score: 1, years: 1,
      na: 1, ve: 1, caf: 1, end: 1, x: 1, y: 1, z: 1,
    });
  });

  test("the bundled sample gives the same counts as a plain loop", async () => {
    const dir = tempDir();
    const out = path.join(dir, "wc");
    await runPipeline(buildPipeline(wordcount, { output: out }));
    const expected = new Map<string, number>();
    for (const f of fs.readdirSync("examples/data")) {
      for (const line of fs.readFileSync(path.join("examples/data", f), "utf8").split(/\r?\n/)) {
        for (const w of line.toLowerCase().match(/[a-z]+/g) ?? []) expected.set(w, (expected.get(w) ?? 0) + 1);
      }
    }
    expect(expected.size).toBeGreaterThan(100);
    expect(readOutput(out)).toEqual(expected);
  });

  test("a missing input fails with the pattern and the fix", async () => {
    const dir = tempDir();
    await expect(runPipeline(buildPipeline(wordcount, { input: path.join(dir, "nope-*.txt"), output: path.join(dir, "o") }))).rejects.toThrow(/nope-\*\.txt.*matched no file/);
  });
});
