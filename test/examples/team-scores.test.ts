/** The streaming example: panes per team and window against a plain computation of the same stream. */
import { collect, generateSequence, Pipeline, runPipeline } from "beamline";
import { EVENT_SPACING_MS, gameEvent, teamScores } from "../../examples/team-scores";
import { main } from "../../runners/cli";

const WINDOW = 10_000;
const LATENESS = 30_000;

test("the latest panes hold every event not dropped as too late; late events make late panes", async () => {
  const n = 6000;
  const batch = 100;
  const p = new Pipeline();
  const events = p
    .apply(generateSequence({ to: n, batchSize: batch, eventTime: { start: 0, interval: EVENT_SPACING_MS } }))
    .map(gameEvent);
  const panes = collect(teamScores(events, { window: "10s", early: "1h", lateness: "30s" }));
  const result = await runPipeline(p, { parallelism: 1 });

  // Plain computation: the watermark a batch arrives under is the last timestamp of the batch before.
  const expected = new Map<string, number>();
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    const e = gameEvent(i);
    const wm = Math.floor(i / batch) === 0 ? -Infinity : (Math.floor(i / batch) * batch - 1) * EVENT_SPACING_MS;
    const start = Math.floor(e.timestamp / WINDOW) * WINDOW;
    if (start + WINDOW - 1 + LATENESS < wm) {
      dropped++;
      continue;
    }
    const k = `${start}/${e.team}`;
    expected.set(k, (expected.get(k) ?? 0) + e.score);
  }
  expect(dropped).toBeGreaterThan(0);
  // Panes accumulate: the latest pane of each team and window holds its total.
  const latest = new Map<string, { index: number; score: number }>();
  for (const el of panes.elements) {
    const k = `${el.window.start}/${el.value.team}`;
    const prev = latest.get(k);
    expect(prev?.index).not.toBe(el.pane.index);
    if (!prev || el.pane.index > prev.index) latest.set(k, { index: el.pane.index, score: el.value.score });
  }
  const finals = new Map([...latest].map(([k, v]) => [k, v.score]));
  expect(Object.fromEntries([...finals].sort())).toEqual(Object.fromEntries([...expected].sort()));
  expect(panes.elements.filter((e) => e.pane.timing === "on_time").length).toBe(expected.size);
  expect(panes.elements.some((e) => e.pane.timing === "late")).toBe(true);
  const counted = [...result.metrics.counters.values()].reduce((s, m) => s + (m.get("droppedLateRows") ?? 0), 0);
  expect(counted).toBe(dropped);
});

test("runs from the CLI, printing panes as they fire and the dropped-row counter", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(["run", "examples/team-scores.ts", "--events=3000", "--rate=20000", "--parallelism=1"], { out: (t) => out.push(t), err: (t) => err.push(t) });
  } finally {
    process.stdout.write = write;
  }
  expect(code).toBe(0);
  const lines = out.join("").split("\n").filter((l) => l.startsWith("window "));
  expect(lines.some((l) => / on-time #\d/.test(l))).toBe(true);
  expect(lines.some((l) => /\(final\)/.test(l))).toBe(true);
  expect(err.join("\n")).toMatch(/done on the direct runner/);
  expect(err.join("\n")).toMatch(/TeamScores.*droppedLateRows=[1-9]/);
});
