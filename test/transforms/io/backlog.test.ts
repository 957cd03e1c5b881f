/**
 * File sources report, after each chunk they read, the bytes their part has left (the runner serves
 * them as the source's backlog): down to 0 at the end, nothing for a gzipped file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Pipeline, readCsv, readJsonLines, readText, type BoundedSource, type ReadContext } from "beamline";
import { tmpDir } from "./helpers";

/** Reads every part of the source of `apply`'s read, with a context that records backlog reports. */
async function backlogOf(apply: (p: Pipeline) => void, name: string): Promise<Map<string, number[]>> {
  const p = new Pipeline();
  apply(p);
  const source = p.fn<BoundedSource>(name);
  const reports = new Map<string, number[]>();
  const ctx: ReadContext = {
    processingTime: () => Date.now(),
    sleep: async () => true,
    cancelled: false,
    reportBacklog: (partition, backlog) => reports.set(partition, [...(reports.get(partition) ?? []), backlog.bytes!]),
  };
  for (const part of await source.split(1)) for await (const _ of source.read(part, null, ctx)) void _;
  return reports;
}

describe("file sources report their backlog", () => {
  const dir = tmpDir();
  // 40,000 lines: three chunks of at most 16,384 lines.
  const lines = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ n: i }));
  const jsonl = path.join(dir, "in.jsonl");
  fs.writeFileSync(jsonl, `${lines.join("\n")}\n`);
  const size = fs.statSync(jsonl).size;

  test("text and JSON lines: the bytes left after each chunk, falling to 0", async () => {
    for (const [apply, name] of [
      [(p: Pipeline) => p.apply(readText(jsonl)), "ReadText"],
      [(p: Pipeline) => p.apply(readJsonLines(jsonl)), "ReadJsonLines"],
    ] as const) {
      const left = (await backlogOf(apply, name)).get(jsonl)!;
      expect(left.length).toBeGreaterThanOrEqual(3);
      expect(left[0]).toBeGreaterThan(0);
      expect(left[0]).toBeLessThan(size);
      expect(left.every((b, i) => i === 0 || b < left[i - 1])).toBe(true);
      expect(left[left.length - 1]).toBe(0);
    }
  });

  test("CSV: the same, per file", async () => {
    const csv = path.join(dir, "in.csv");
    fs.writeFileSync(csv, `n\n${lines.map((_, i) => String(i)).join("\n")}\n`);
    const left = (await backlogOf((p) => p.apply(readCsv(csv)), "ReadCsv")).get(csv)!;
    expect(left.length).toBeGreaterThanOrEqual(3);
    expect(left[left.length - 1]).toBe(0);
  });

  test("a gzipped file reports nothing: its offsets are not bytes of the file", async () => {
    const gz = path.join(dir, "in.txt.gz");
    fs.writeFileSync(gz, zlib.gzipSync(lines.join("\n")));
    expect((await backlogOf((p) => p.apply(readText(gz)), "ReadText")).size).toBe(0);
  });
});
