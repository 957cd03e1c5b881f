/**
 * Two steps of Beamline's SDK harness timed alone, in one process, so that a change to either can be
 * measured without a runner (whose share, and the machine's load, blur a whole run):
 * `node --require ./runners/load/register.js bench/harness-hot-paths.ts [--words=1000000] [--repeat=5]`.
 *
 * - `precombine`: the words of the bench's generated text (`bench/data/words-<N>.txt`) as the
 *   `{key: {value: word}, value: word}` rows that `countPerElement`'s KeyBy makes, in batches of 8192,
 *   through the lifted combine's precombine phase (what Prism runs in the harness for the word count);
 * - `timestamps`: as many event timestamps written in Beam's instant encoding and read back (every
 *   element that crosses the data plane carries one).
 * Prints one JSON line per step with the fastest and the median of `--repeat` runs, in ms.
 */
import * as fs from "node:fs";
import { count } from "../index";
import { words } from "../examples/wordcount";
import { combinePhase } from "../runners/portable/harness/combine-phases";
import type { RowBatch } from "../runners/portable/harness/elements/elements";
import { COMBINE_URNS } from "../runners/portable/model/payloads";
import { ByteReader, ByteWriter, readTimestamp, writeTimestamp } from "../runners/portable/coders/wire";
import type { CombineRuntime } from "../sdk/combine";
import { flagValue } from "./args";
import { countLabel, wordsFile } from "./data";

const BATCH = 8192;

function option(name: string, fallback: number): number {
  const v = Number(flagValue(name, String(fallback)));
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`bench: --${name} takes a positive integer (got ${flagValue(name, "")})`);
  return v;
}

function stats(ms: number[]): { fastestMs: number; medianMs: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { fastestMs: Math.round(s[0] * 10) / 10, medianMs: Math.round(s[Math.floor(s.length / 2)] * 10) / 10 };
}

async function main(): Promise<void> {
  const n = option("words", 1_000_000);
  const repeat = option("repeat", 5);
  const text = fs.readFileSync(await wordsFile(n), "utf8");
  const all = text.split("\n").flatMap(words);
  const batches: RowBatch[] = [];
  for (let i = 0; i < all.length; i += BATCH) {
    const rows = all.slice(i, i + BATCH).map((w) => ({ key: { value: w }, value: w }));
    batches.push({ rows, timestamps: new Float64Array(rows.length), windows: { kind: "global" } });
  }
  const rt = { keyFields: ["value"], aggregates: { count: count() }, shape: "flat" } as unknown as CombineRuntime;
  const pre: number[] = [];
  let groups = 0;
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    groups = 0;
    const phase = combinePhase(COMBINE_URNS.precombine, "Count", rt, (b) => void (groups += b.rows.length));
    for (const b of batches) await phase.process(b);
    await phase.finish?.();
    pre.push(performance.now() - started);
  }
  process.stdout.write(`${JSON.stringify({ step: "precombine", words: all.length, groupsOut: groups, ...stats(pre) })}\n`);

  const ts = Float64Array.from({ length: all.length }, (_, i) => 1_733_580_000_000 + i * 7);
  const times: number[] = [];
  let sum = 0;
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    const w = new ByteWriter();
    for (let i = 0; i < ts.length; i++) writeTimestamp(w, ts[i]);
    const reader = new ByteReader(w.finish());
    sum = 0;
    for (let i = 0; i < ts.length; i++) sum += readTimestamp(reader) - ts[i];
    times.push(performance.now() - started);
  }
  if (sum !== 0) throw new Error("bench: timestamps did not read back as written");
  process.stdout.write(`${JSON.stringify({ step: "timestamps", timestamps: ts.length, input: `words-${countLabel(n)}.txt`, ...stats(times) })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
