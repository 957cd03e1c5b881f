/**
 * Combines the portable suites run on every runner: built-in aggregations, a user CombineFn with an
 * object accumulator, combining globally, and combining per key in session windows (accumulators of
 * merged sessions merge), each writing sorted-comparable lines.
 */
import * as path from "node:path";
import {
  aggregateWith,
  CombineFn,
  combineGlobally,
  combinePerKey,
  count,
  create,
  ElementInfo,
  groupBy,
  max,
  mean,
  min,
  Pipeline,
  sessions,
  sum,
  windowInto,
  withTimestamps,
  writeText,
} from "beamline";

interface Sale {
  region: string;
  item: string;
  amount: number;
  at: number;
}

/** Distinct items, as a sorted, comma-joined string: a user CombineFn with a plain-object accumulator. */
function distinctItems(): CombineFn<string, Record<string, true>, string> {
  return {
    createAccumulator: () => ({}),
    addInput: (acc, item) => ({ ...acc, [item]: true }),
    mergeAccumulators: (accs) => Object.assign({}, ...accs),
    extractOutput: (acc) => Object.keys(acc).sort().join(","),
  };
}

function sales(): Sale[] {
  const out: Sale[] = [];
  const regions = ["north", "south", "east", "west", "centre"];
  for (let i = 0; i < 400; i++) out.push({ region: regions[i % 5], item: `i${(i * 7) % 11}`, amount: (i * 37) % 101, at: Date.UTC(2024, 0, 1) + ((i * 7919) % 3600) * 1000 });
  return out;
}

/** Per region: count, sum, min, max, mean and distinct items; the global total; per-region totals in 5-minute sessions. */
export function combinePipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const rows = p.apply("Sales", create(sales()));
  rows
    .apply(
      "PerRegion",
      groupBy<Sale>("region").aggregate({ n: count(), total: sum("amount"), lo: min("amount"), hi: max("amount"), avg: mean("amount"), items: aggregateWith(distinctItems(), "item") }),
    )
    .map((r: Record<string, unknown>) => `region ${String(r.region)} ${String(r.n)} ${String(r.total)} ${String(r.lo)} ${String(r.hi)} ${Number(r.avg).toFixed(6)} ${String(r.items)}`, { name: "FormatRegions" })
    .apply("WriteRegions", writeText(path.join(outDir, "combined-regions")));
  rows
    .map((s: Sale) => s.amount, { name: "Amounts" })
    .apply("Total", combineGlobally(sum()))
    .map((t: number) => `total ${t}`, { name: "FormatTotal" })
    .apply("WriteTotal", writeText(path.join(outDir, "combined-total")));
  rows
    .apply("Stamp", withTimestamps<Sale>("at"))
    .apply("Sessions", windowInto(sessions("2m")))
    .map((s: Sale) => ({ key: s.region, value: s.amount }), { name: "KeyByRegion" })
    .apply("SessionTotals", combinePerKey(sum()))
    .map((kv: { key: string; value: number }, info: ElementInfo) => `session ${kv.key} ${info.window.start}-${info.window.end} ${kv.value} ${info.pane.timing}`, { name: "FormatSessions" })
    .apply("WriteSessions", writeText(path.join(outDir, "combined-sessions")));
  return p;
}
