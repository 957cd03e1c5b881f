/**
 * Windowed aggregations with the disk state backend: custom combiners' accumulators live in the
 * operator's LMDB files, and the panes (default trigger, early firings with accumulation, sessions)
 * equal those of the memory backend, on one thread and two, checkpointed or not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  afterCount, afterWatermark, aggregateWith, collect, create, DirectRunner, fixedWindows, groupBy, Pipeline, sessions, sum, top, windowInto, withTimestamps, type CombineFn,
  type DirectRunnerOptions, type WindowIntoOptions,
} from "beamline";
import { sorted, tempDir } from "../../../helpers";

/** Count, sum and distinct values, in an object accumulator (a custom combiner: not a typed-array kernel). */
const stats: CombineFn<number, { n: number; total: number; seen: number[] }, string> = {
  createAccumulator: () => ({ n: 0, total: 0, seen: [] }),
  addInput: (a, x) => ({ n: a.n + 1, total: a.total + x, seen: a.seen.includes(x % 13) ? a.seen : [...a.seen, x % 13] }),
  mergeAccumulators: (as) => as.reduce((a, b) => ({ n: a.n + b.n, total: a.total + b.total, seen: [...new Set([...a.seen, ...b.seen])] }), { n: 0, total: 0, seen: [] }),
  extractOutput: (a) => `${a.n}/${a.total}/${[...a.seen].sort((x, y) => x - y).join(",")}`,
};

const rows = Array.from({ length: 4000 }, (_, i) => ({ k: (i * 7919) % 301, v: i % 97, t: (i * 37) % 20_000 }));

async function panes(windowing: WindowIntoOptions & { fn: ReturnType<typeof fixedWindows> | ReturnType<typeof sessions> }, options: DirectRunnerOptions): Promise<unknown[]> {
  const p = new Pipeline();
  const { fn, ...rest } = windowing;
  const out = collect(
    p.apply(create(rows))
      .apply(withTimestamps("t"))
      .apply(windowInto(fn, rest))
      .apply("Stats", groupBy("k").aggregate({ stats: aggregateWith(stats, "v"), top: top(2, { field: "v" }), total: sum("v") })),
  );
  await new DirectRunner(options).run(p);
  return sorted(out.elements.map((e) => ({ value: e.value, window: e.window, pane: e.pane })));
}

describe("windowed aggregations with --state-backend=disk", () => {
  const cases: [string, WindowIntoOptions & { fn: ReturnType<typeof fixedWindows> | ReturnType<typeof sessions> }][] = [
    ["fixed windows, default trigger", { fn: fixedWindows("1s") }],
    ["early firings, accumulating", { fn: fixedWindows("5s"), trigger: afterWatermark({ early: afterCount(50) }), accumulation: "accumulating" }],
    ["sessions", { fn: sessions("300ms") }],
  ];
  test.each(cases)("%s: the same panes as in memory", async (_name, windowing) => {
    const memory = await panes(windowing, { parallelism: 1 });
    expect(memory.length).toBeGreaterThan(300);
    const stateDir = tempDir("beamline-combine-disk-");
    const seen = new Set<string>();
    // The directories a run makes and removes, from the kernel's notifications (queued while a run
    // keeps the event loop busy, so none is missed as a polling timer could miss them).
    const watch = fs.watch(stateDir, (_event, name) => name && seen.add(name));
    try {
      expect(await panes(windowing, { parallelism: 1, stateBackend: "disk", stateDir })).toEqual(memory);
      expect(await panes(windowing, { parallelism: 2, stateBackend: "disk", stateDir, checkpoint: { dir: path.join(stateDir, "chk"), intervalMs: 5 } })).toEqual(memory);
    } finally {
      watch.close();
    }
    expect([...seen].some((d) => d.includes("-Stats-"))).toBe(true);
    expect(fs.readdirSync(stateDir).filter((d) => d.startsWith("beamline-state-"))).toEqual([]);
  }, 60_000);
});
