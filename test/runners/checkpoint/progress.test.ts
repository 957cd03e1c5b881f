import { formatProgress, ProgressLine } from "../../../runners/direct/progress";

describe("progress line", () => {
  test("shows rows, throughput, watermark and the last checkpoint", () => {
    const line = formatProgress({ rows: 2_500_000, watermark: Date.UTC(2024, 0, 1), checkpoint: { id: 7, durationMs: 12 } }, 2000);
    expect(line).toBe("beamline: 2.0 s · 2.50M rows · 1.25M rows/s · watermark 2024-01-01T00:00:00.000Z · checkpoint 7 (12 ms)");
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

  test("is quiet when the output is not a terminal", () => {
    const out: string[] = [];
    const p = new ProgressLine({ isTTY: false, write: (t: string) => out.push(t) }, () => ({ rows: 10 }));
    p.start();
    p.draw();
    p.stop();
    expect(out).toEqual([]);
  });
});
