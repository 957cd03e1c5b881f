/** Input files of the recovery tests, the same for every run of a test. */
import * as fs from "node:fs";
import { rng } from "../../../helpers";

/** Writes `n` lines `k,v,t,s` for the windowed golden pipeline. */
export function writeRows(file: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${(i * 7919) % 97},${i % 1000},${i * 10},w${(i * 31) % 53}`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}

/** Writes `n` lines of eight words from a skewed vocabulary of 3000 words, for word count. */
export function writeWords(file: string, n: number): void {
  const random = rng(7);
  const vocabulary: string[] = [];
  for (let i = 0; i < 3000; i++) {
    let w = "";
    const len = 3 + Math.floor(random() * 6);
    for (let j = 0; j < len; j++) w += String.fromCharCode(97 + Math.floor(random() * 26));
    vocabulary.push(w);
  }
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ws: string[] = [];
    for (let j = 0; j < 8; j++) ws.push(vocabulary[Math.floor(random() ** 2 * vocabulary.length)]);
    lines.push(ws.join(" "));
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}
