import * as fs from "node:fs";
import * as path from "node:path";
import { DirectRunner, Pipeline, readText } from "beamline";
import { formatProgress, InputProgress } from "../../../runners/direct/execution/progress";
import { tempDir } from "../../helpers";

describe("the progress line's sources and input", () => {
  test("shows records and watermark per source, and a bar with bytes left and an ETA", () => {
    const line = formatProgress(
      { rows: 20_000, sources: [{ name: "Events", rows: 15_000, watermark: Date.UTC(2024, 0, 1) }, { name: "Users", rows: 5000 }], input: { leftBytes: 12_345_678, done: 0.42, etaMs: 8200 } },
      2000,
    );
    expect(line).toBe(
      "beamline: 2.0 s · 20.0k rows · 10.0k rows/s · Events 15.0k records (watermark 2024-01-01T00:00:00.000Z) · Users 5000 records · [####......] 42% · 12.3 MB left, ETA 9 s",
    );
  });

  test("the input's progress: the share read since the first report, and the time left at the rate so far", () => {
    const p = new InputProgress();
    expect(p.at(0, undefined)).toBeUndefined();
    expect(p.at(1000, 1000)).toEqual({ leftBytes: 1000, done: 0 });
    expect(p.at(2000, 600)).toEqual({ leftBytes: 600, done: 0.4, etaMs: 1500 });
    expect(p.at(3000, 0)).toEqual({ leftBytes: 0, done: 1, etaMs: 0 });
    // More left than at first (another file started): counted from there.
    expect(p.at(4000, 5000)).toEqual({ leftBytes: 5000, done: 0 });
  });

  test("a direct run on a terminal shows its source's records and the file input read to the end", async () => {
    const file = path.join(tempDir(), "in.txt");
    fs.writeFileSync(file, Array.from({ length: 40_000 }, (_, i) => `line ${i}`).join("\n"));
    const p = new Pipeline();
    p.apply("Lines", readText(file)).map((l: string) => l.length, { name: "Length" });
    const drawn: string[] = [];
    await new DirectRunner({ parallelism: 1, progress: { isTTY: true, write: (t: string) => void drawn.push(t) } }).run(p);
    const last = drawn.filter((l) => l.includes("beamline:")).pop()!;
    expect(last).toContain("Lines 40.0k records");
    expect(last).toContain("[##########] 100% · 0.0 MB left");
  });
});
