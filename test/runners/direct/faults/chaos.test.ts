/**
 * The chaos suite of the direct runner: word count and a stateful windowed pipeline (sums per key and
 * one-second window, and a GroupByKey), each at parallelism 1 and 2, under nine seeded faults apiece
 * (36 in all) through `expectSameOutputUnderFaults`: every run ends with the output of a run without
 * faults, every fault of the plans fires (each says so as it does), and so every kind of fault does.
 * The soak flag `beamline run --inject-faults=SEED:COUNT` prints the seed and each fault as it fires.
 */
import * as path from "node:path";
import { expectSameOutputUnderFaults, type SameOutputReport } from "beamline";
import { FAULT_KINDS } from "../../../../runners/direct/faults/plan";
import { tempDir } from "../../../helpers";
import { startCli } from "../checkpoint/children";
import { writeRows, writeWords } from "../checkpoint/inputs";
import { outputLines } from "../parallel/files";

const WORDCOUNT = path.join(__dirname, "..", "..", "..", "..", "examples", "wordcount.ts");
const WINDOWED = path.join(__dirname, "..", "checkpoint", "windowed-golden.ts");
const FAULTS = 9;

describe("the chaos suite: the same output under seeded faults", () => {
  const dir = tempDir("beamline-chaos-");
  const words = path.join(dir, "words.txt");
  const rows = path.join(dir, "rows.txt");
  const reports: SameOutputReport[] = [];
  beforeAll(() => {
    writeWords(words, 8000);
    writeRows(rows, 15_000);
  });

  /** Every fault fired, once, and said so as it did. */
  const allFired = (r: SameOutputReport) => {
    expect(r.fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(r.planned.map((f) => f.id));
    for (const f of r.fired) expect(r.log.some((l) => l.startsWith(`beamline: injected fault #${f.id} fires: `))).toBe(true);
    expect(r.lines).toBeGreaterThan(0);
    reports.push(r);
  };

  test.each([1, 2])("word count at parallelism %i", async (parallelism) => {
    allFired(await expectSameOutputUnderFaults(WORDCOUNT, { seed: 100 + parallelism, faults: FAULTS, options: { input: words, shards: 2, parallelism } }));
  }, 120_000);

  test.each([1, 2])("the windowed stateful pipeline at parallelism %i", async (parallelism) => {
    allFired(await expectSameOutputUnderFaults(WINDOWED, { seed: 200 + parallelism, faults: FAULTS, options: { input: rows, parallelism } }));
  }, 120_000);

  test("every kind of fault fired", () => {
    expect(reports).toHaveLength(4);
    expect(new Set(reports.flatMap((r) => r.fired.map((f) => f.kind)))).toEqual(new Set(FAULT_KINDS));
  });

  test("beamline run --inject-faults=SEED:COUNT prints the seed and each fault as it fires, and the output is the fault-free one", async () => {
    const args = (name: string) => [`--input=${words}`, `--output=${path.join(dir, name, "out")}`, "--parallelism=2", "--checkpoint-interval=50"];
    const clean = await startCli(WORDCOUNT, args("clean")).exit;
    expect(clean.code).toBe(0);
    const soak = await startCli(WORDCOUNT, [...args("soak"), "--inject-faults=7:5"]).exit;
    expect(soak.code).toBe(0);
    expect(soak.err).toMatch(/^beamline: injecting 5 faults of seed 7 \(--inject-faults=7:5\)$/m);
    const fired = soak.err.match(/^beamline: injected fault #\d+ fires: .+$/gm) ?? [];
    expect(fired.length).toBeGreaterThan(0);
    expect(soak.err).toMatch(new RegExp(`^beamline: ${new Set(fired.map((l) => /#(\d+)/.exec(l)![1])).size} of 5 injected faults fired in \\d+ attempts? \\(seed 7\\)$`, "m"));
    expect(outputLines(path.join(dir, "soak"), "out")).toEqual(outputLines(path.join(dir, "clean"), "out"));
  }, 120_000);
});
