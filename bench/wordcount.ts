/**
 * Word count over a generated text file: Beamline runs the definition of `examples/wordcount.ts` on
 * the direct runner; plain JS is the loop anyone would write (readline, the same tokenisation, a Map).
 * Both write `word: count` lines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import wordcount from "../examples/wordcount";
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import { CaseParams, filesUnder, Impl, ImplOutput } from "./measure";

/** Beamline: the example pipeline definition through `buildPipeline` and the `DirectRunner`. */
export const beamlineDirect: Impl = async ({ input, outDir, rows, parallelism }) => {
  const p = buildPipeline(wordcount, { input, output: path.join(outDir, "wordcount"), shards: 1 });
  await new DirectRunner({ parallelism: parallelism ?? 1 }).run(p);
  return { rows };
};

/** Plain JS: readline over a file stream, `line.toLowerCase().match(/[a-z]+/g)`, a Map, `word: count` lines. */
export const plainJs: Impl = async ({ input, outDir }) => {
  const counts = new Map<string, number>();
  let words = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(input, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) {
    const ws = line.toLowerCase().match(/[a-z]+/g);
    if (!ws) continue;
    words += ws.length;
    for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const [w, n] of counts) out.push(`${w}: ${n}\n`);
  fs.writeFileSync(path.join(outDir, "wordcount.txt"), out.join(""));
  return { rows: words };
};

/** Reads `word: count` lines back: how many words, and the sum of the counts (which must equal the input's words). */
export async function verifyWordCounts({ outDir, rows }: CaseParams): Promise<ImplOutput> {
  let outputRows = 0;
  let checksum = 0;
  for (const f of filesUnder(outDir)) {
    const lines = readline.createInterface({ input: fs.createReadStream(f), crlfDelay: Infinity });
    for await (const line of lines) {
      const m = /^([a-z]+): (\d+)$/.exec(line);
      if (!m) throw new Error(`bench: ${f} has a line that is not "word: count": ${JSON.stringify(line)}`);
      outputRows++;
      checksum += Number(m[2]);
    }
  }
  return { rows, outputRows, checksum };
}
