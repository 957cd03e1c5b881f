/**
 * What dead letters cost on the element-wise hot path: `node --require ./runners/load/register.js bench/dead-letter-overhead.ts`.
 *
 * Runs the shared ParDo invoker (what both runners run) over batches of 65 536 rows, for map, flatMap,
 * filter and a DoFn, without failure handling, with `deadLetter: true` and no failing row, and with one
 * row in a thousand throwing, each case in a process of its own. Prints one line per function: the
 * median CPU ns per row over the repeats.
 */
import type * as arrow from "apache-arrow";
import { spawnSync } from "node:child_process";
import { globalBatch, type ElementBatch } from "../sdk/batch";
import { deadLetterSchema } from "../sdk/dead-letter";
import type { FailureHandling } from "../sdk/element-failures";
import { ParDoInvoker } from "../sdk/invoker";
import type { ParDoFn } from "../sdk/pardo";
import { rowsToRecordBatch } from "../sdk/rows";
import { schema, t } from "../sdk/schema";

const ROWS = 65_536;
const REPEATS = Number(process.env.REPEATS ?? 30);
const batch: ElementBatch = globalBatch(
  rowsToRecordBatch(Array.from({ length: ROWS }, (_, i) => ({ id: i, x: i * 0.5 })), schema({ id: t.int32(), x: t.float64() }).arrow, "bench"),
);

const DEAD_LETTERS: FailureHandling = { deadLetter: true, maxDeadLetterRatio: null, maxDeadLetters: null, retry: null };
type Row = { id: number; x: number };
const failEvery = (k: number) => (row: Row) => {
  if (k > 0 && row.id % k === 0) throw new Error(`bad ${row.id}`);
};

const fns: Record<string, (check: (row: Row) => void) => ParDoFn> = {
  map: (check) => ({ kind: "map", fn: (row: Row) => (check(row), { id: row.id, y: row.x * 2 }) }),
  flatMap: (check) => ({ kind: "flatMap", fn: (row: Row) => (check(row), [{ id: row.id, y: row.x * 2 }]) }),
  filter: (check) => ({ kind: "filter", fn: (row: Row) => (check(row), row.id % 2 === 0) }),
  dofn: (check) => ({ kind: "dofn", sideInputs: {}, dofn: { process: (row: Row, ctx: { output(r: unknown): void }) => (check(row), ctx.output({ id: row.id, y: row.x * 2 })) } as never }),
};

function nsPerRow(fn: ParDoFn): number {
  const outputs: Record<string, arrow.Schema | null> = fn.failures ? { main: null, deadLetter: deadLetterSchema.arrow } : { main: null };
  const invoker = new ParDoInvoker("Bench", fn, outputs);
  const emit = () => {};
  for (let w = 0; w < 3; w++) invoker.processBatch(batch, emit);
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    // CPU time, not wall time: on a shared machine the process is descheduled at random.
    const t0 = process.cpuUsage();
    invoker.processBatch(batch, emit);
    const t = process.cpuUsage(t0);
    times.push(((t.user + t.system) * 1000) / ROWS);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const MODES: Record<string, (make: (check: (row: Row) => void) => ParDoFn) => ParDoFn> = {
  plain: (make) => make(failEvery(0)),
  guarded: (make) => ({ ...make(failEvery(0)), failures: DEAD_LETTERS }),
  failing: (make) => ({ ...make(failEvery(1000)), failures: DEAD_LETTERS }),
};

const [kindArg, modeArg] = process.argv.slice(2);
if (kindArg) {
  // One case per process, so that no case's type feedback slows another's.
  console.log(nsPerRow(MODES[modeArg](fns[kindArg])));
} else {
  for (const kind of Object.keys(fns)) {
    const ns: Record<string, number> = {};
    for (const mode of Object.keys(MODES)) {
      const out = spawnSync(process.execPath, [...process.execArgv, __filename, kind, mode], { encoding: "utf8" });
      if (out.status !== 0) throw new Error(out.stderr);
      ns[mode] = Number(out.stdout.trim());
    }
    const pct = (v: number) => `${v >= ns.plain ? "+" : ""}${(((v - ns.plain) / ns.plain) * 100).toFixed(1)}%`;
    console.log(
      `${kind.padEnd(8)} plain ${ns.plain.toFixed(1)} ns/row · deadLetter, none failing ${ns.guarded.toFixed(1)} ns/row (${pct(ns.guarded)}) · deadLetter, 0.1% failing ${ns.failing.toFixed(1)} ns/row (${pct(ns.failing)})`,
    );
  }
}
