/**
 * Reads `word: count` lines back with words folded to lower case, so that word counts which tokenise
 * alike but keep case (Beam Java's WordCount: runs of letters, case kept) compare with those that
 * lower-case first (Beamline's example, plain JS): on ASCII text both split at the same places.
 */
import * as fs from "node:fs";
import * as readline from "node:readline";
import { CaseParams, filesUnder, ImplOutput } from "./measure";

/** Adds `word: count` lines into `counts`, keyed by the lower-cased word; returns how many lines there were. */
export function foldWordCounts(lines: Iterable<string>, counts: Map<string, number>, file = "output"): number {
  let n = 0;
  for (const line of lines) {
    if (line === "") continue;
    const m = /^(\p{L}+): (\d+)$/u.exec(line);
    if (!m) throw new Error(`bench: ${file} has a line that is not "word: count": ${JSON.stringify(line)}`);
    const word = m[1].toLowerCase();
    counts.set(word, (counts.get(word) ?? 0) + Number(m[2]));
    n++;
  }
  return n;
}

/** The output under `outDir` read back folded: distinct words, the sum of their counts, and the lines as written. */
export async function verifyFoldedWordCounts({ outDir, rows }: CaseParams): Promise<ImplOutput> {
  const counts = new Map<string, number>();
  let lines = 0;
  for (const f of filesUnder(outDir)) {
    const text: string[] = [];
    for await (const line of readline.createInterface({ input: fs.createReadStream(f), crlfDelay: Infinity })) text.push(line);
    lines += foldWordCounts(text, counts, f);
  }
  let checksum = 0;
  for (const n of counts.values()) checksum += n;
  return { rows, outputRows: counts.size, checksum, report: { outputLines: lines } };
}
