import * as fs from "node:fs";
import * as path from "node:path";
import { countPerElement, DirectRunner, fixedWindows, generateSequence, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, Pipeline, windowInto } from "beamline";
import { main } from "../../../../runners/cli";
import { formatProgress, ProgressBoard, ProgressLine } from "../../../../runners/direct/execution/progress";
import { tempDir } from "../../../helpers";

/** A terminal that records what is drawn on it. */
function terminal(): { isTTY: true; write(t: string): void; lines: string[] } {
  const lines: string[] = [];
  return { isTTY: true, write: (t: string) => void lines.push(t), lines };
}

/** The rows figure of each drawn line. */
function rowsOf(lines: readonly string[]): number[] {
  return lines.filter((l) => l.includes("rows/s")).map((l) => {
    const m = / · ([\d.]+)(k|M|G)? rows · /.exec(l)!;
    return Number(m[1]) * ({ k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2] ?? ""]! || Number(m[1]);
  });
}

describe("progress line", () => {
  test("shows rows, throughput, watermark and the last checkpoint", () => {
    const line = formatProgress({ rows: 2_500_000, watermark: Date.UTC(2024, 0, 1), checkpoint: { id: 7, durationMs: 12 } }, 2000);
    expect(line).toBe("beamline: 2.0 s · 2.50M rows · 1.25M rows/s · watermark 2024-01-01T00:00:00.000Z · checkpoint 7 (12 ms)");
  });

  test("prints watermarks past what a Date can hold: the end of the global window, and far-future ones", () => {
    expect(formatProgress({ rows: 1, watermark: GLOBAL_WINDOW_MAX_TIMESTAMP }, 1000)).toContain("watermark end-of-global-window");
    expect(formatProgress({ rows: 1, watermark: 9e15 }, 1000)).toContain("watermark +287168-08-24T16:00:00.000Z");
    expect(formatProgress({ rows: 1, watermark: MAX_TIMESTAMP }, 1000)).toContain("watermark +inf");
  });

  test("draws in place on a terminal and ends with a newline", () => {
    const out: string[] = [];
    const p = new ProgressLine({ isTTY: true, write: (t: string) => out.push(t) }, () => ({ rows: 10 }));
    p.start();
    p.draw();
    p.stop();
    expect(out[0]).toMatch(/^\r\x1b\[2Kbeamline: .* 10 rows/);
    expect(out[out.length - 1]).toBe("\n");
  });

  test("output on the terminal's other stream clears the line first, and the line comes back under it", () => {
    const log: string[] = [];
    const stdout = { isTTY: true, write: (t: string) => log.push(`out:${t}`) > 0 };
    const original = stdout.write;
    const p = new ProgressLine({ isTTY: true, write: (t: string) => log.push(`err:${t}`) }, () => ({ rows: 10 }), 250, stdout);
    p.start();
    p.draw();
    stdout.write("a line of the pipeline\n");
    stdout.write("another\n"); // the line is not drawn now: nothing to clear
    p.draw();
    p.stop();
    expect(log.map((l) => l.replace(/beamline: .*/, "<line>"))).toEqual([
      "err:\r\x1b[2K<line>",
      "err:\r\x1b[2K",
      "out:a line of the pipeline\n",
      "out:another\n",
      "err:\r\x1b[2K<line>",
      "err:\n",
    ]);
    expect(stdout.write).toBe(original);
    // Not a terminal: left alone.
    const piped = { isTTY: false, write: (t: string) => log.push(t) > 0 };
    const before = piped.write;
    new ProgressLine({ isTTY: true, write: () => true }, () => ({ rows: 1 }), 250, piped).start().stop();
    expect(piped.write).toBe(before);
  });

  test("is quiet when the output is not a terminal", () => {
    const out: string[] = [];
    const p = new ProgressLine({ isTTY: false, write: (t: string) => out.push(t) }, () => ({ rows: 10 }));
    p.start();
    p.draw();
    p.stop();
    expect(out).toEqual([]);
  });

  test("the board sums rows over instances and keeps the slowest watermark", () => {
    const board = new ProgressBoard(3);
    board.publish(0, { rows: 5, watermark: 300 });
    board.publish(2, { rows: 7, watermark: 100 });
    expect(board.read().rows).toBe(12);
    expect(board.read().watermark).toBeLessThan(0); // instance 1 has published nothing yet
    board.publish(1, { rows: 1, watermark: 200 });
    expect(board.read()).toEqual({ rows: 13, watermark: 100 });
    // A worker sees the same cells through the buffer.
    new ProgressBoard(board.buffer).publish(1, { rows: 2, watermark: 400 });
    expect(board.read()).toEqual({ rows: 14, watermark: 100 });
  });

  test("a live run redraws its rows and watermark as they grow, ending at every row read", async () => {
    const p = new Pipeline();
    p.apply("Ticks", generateSequence({ to: 1200, ratePerSecond: 1000, eventTime: { start: Date.UTC(2024, 0, 1), interval: 1000 } }))
      .apply("Minutes", windowInto(fixedWindows("1m")))
      .map((n: number) => n % 3, { name: "Mod" })
      .apply("PerMinute", countPerElement<number>());
    const tty = terminal();
    await new DirectRunner({ parallelism: 1, progress: tty }).run(p);
    const rows = rowsOf(tty.lines);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.some((r) => r > 0 && r < 1200)).toBe(true);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows);
    expect(rows[rows.length - 1]).toBe(1200);
    expect(tty.lines.some((l) => / watermark 2024-01-01T00:\d\d:\d\d/.test(l))).toBe(true);
    expect(tty.lines[tty.lines.length - 1]).toBe("\n");
  }, 20_000);

  test("the CLI draws a parallel checkpointed run's progress on a terminal, with its last checkpoint, and nothing elsewhere", async () => {
    const dir = tempDir();
    const input = path.join(dir, "in.txt");
    fs.writeFileSync(input, Array.from({ length: 5000 }, (_, i) => `line ${i} of words`).join("\n") + "\n");
    const args = (out: string) => ["run", path.join(__dirname, "../../../../examples/wordcount.ts"), `--input=${input}`, `--output=${path.join(dir, out)}`, "--parallelism=2", `--checkpoint-dir=${path.join(dir, out + "-cp")}`, "--checkpoint-interval=50"];
    const tty = terminal();
    const err: string[] = [];
    expect(await main(args("a"), { out: () => {}, err: (t) => err.push(t), progress: tty })).toBe(0);
    expect(err.join("\n")).toContain("2 threads");
    const rows = rowsOf(tty.lines);
    expect(rows[rows.length - 1]).toBe(5000);
    expect(tty.lines.filter((l) => l.includes("rows/s")).pop()).toMatch(/ · checkpoint \d+ \(\d+ ms\)$/);

    const piped: string[] = [];
    expect(await main(args("b"), { out: () => {}, err: () => {}, progress: { isTTY: false, write: (t: string) => void piped.push(t) } })).toBe(0);
    expect(piped).toEqual([]);
  }, 60_000);
});
