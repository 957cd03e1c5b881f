/**
 * Pipelines the thread and checkpoint tests run; worker threads load this module again, so it
 * declares only definitions (no tests).
 */
import * as fs from "node:fs";
import { isMainThread } from "node:worker_threads";
import { combineGlobally, count, countPerElement, create, definePipeline, generateSequence, parDo, state, writeJsonLines, timer, fixedWindows, groupBy, groupByKey, option, sum, testStream, timestamped, windowInto, withTimestamps, writeText } from "beamline";

/** A small deterministic pipeline. */
export const numbers = definePipeline({
  options: { count: option.integer("how many numbers", { default: 10 }) },
  build(p, { count: n }) {
    p.apply("Numbers", create(Array.from({ length: n }, (_, i) => ({ n: i }))))
      .map((r: { n: number }) => ({ n: r.n * 2 }), { name: "Double" });
  },
});

/** A pipeline whose graph differs between the main thread and workers: a nondeterministic construction. */
export const threadDependent = definePipeline({
  build(p) {
    p.apply(isMainThread ? "Main" : "Worker", create([{ n: 1 }]));
  },
});

interface Row {
  k: number;
  v: number;
  t: number;
  s: string;
}

/**
 * The golden pipeline: one source, four branches — sums per key, counts per key and one-second
 * window, a GroupByKey over string keys, and a global sum — each written as JSON lines.
 */
export const golden = definePipeline({
  options: {
    output: option.string("output prefix", { default: "out/golden" }),
    rows: option.integer("input rows", { default: 20000 }),
  },
  build(p, { output, rows }) {
    const input = p.apply(
      "Input",
      create<Row>(Array.from({ length: rows }, (_, i) => ({ k: (i * 7919) % 97, v: i % 1000, t: i * 10, s: `w${(i * 31) % 53}` }))),
    );
    const json = (r: unknown) => JSON.stringify(r);
    input
      .apply("SumPerKey", groupBy<Row>("k").aggregate({ n: count(), total: sum("v") }))
      .map(json, { name: "SumsJson" })
      .apply("WriteSums", writeText(`${output}-sums`, { numShards: 2 }));
    input
      .apply("EventTime", withTimestamps<Row>("t"))
      .apply("PerSecond", windowInto(fixedWindows("1s")))
      .apply("CountPerWindow", groupBy<Row>("k").aggregate({ n: count() }))
      .map((r: Record<string, unknown>, { window }) => JSON.stringify({ start: window.start, ...r }), { name: "WindowsJson" })
      .apply("WriteWindows", writeText(`${output}-windows`));
    input
      .map((r: Row) => ({ key: r.s, value: r.v }), { name: "ToKv" })
      .apply("Group", groupByKey<string, number>())
      .map((g: { key: string; values: number[] }) => JSON.stringify({ key: g.key, n: g.values.length, total: g.values.reduce((a, b) => a + b, 0) }), { name: "GroupsJson" })
      .apply("WriteGroups", writeText(`${output}-groups`));
    input
      .apply("Total", combineGlobally<Row, number>(sum("v")))
      .map(json, { name: "TotalJson" })
      .apply("WriteTotal", writeText(`${output}-total`));
  },
});

/** Fails on the worker thread only (instance 0 runs in the calling thread): a failing instance fails the run. */
export const failsInWorker = definePipeline({
  options: { output: option.string("output prefix", { default: "out/fails" }) },
  build(p, { output }) {
    p.apply("Input", create(Array.from({ length: 5000 }, (_, i) => ({ k: i % 50, v: i }))))
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ total: sum("v") }))
      .map(
        (r: Record<string, unknown>) => {
          if (!isMainThread) throw new Error("worker fault");
          return JSON.stringify(r);
        },
        { name: "Json" },
      )
      .apply("Write", writeText(output));
  },
});

/**
 * A pipeline whose worker threads take `loadMs` to build it. The worker notes when it has built the
 * pipeline (`${marker}-worker-built`), and the calling thread when it maps its first number
 * (`${marker}-main-first`), as epoch milliseconds.
 */
export const slowWorkerStart = definePipeline({
  options: {
    marker: option.string("prefix of the marker files", { default: "" }),
    loadMs: option.integer("how long a worker takes to build the pipeline", { default: 600 }),
  },
  build(p, { marker, loadMs }) {
    if (!isMainThread && marker) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, loadMs);
      fs.writeFileSync(`${marker}-worker-built`, String(Date.now()));
    }
    p.apply("Numbers", generateSequence({ to: 200_000 }))
      .map(
        (n: number) => {
          if (isMainThread && marker && !fs.existsSync(`${marker}-main-first`)) fs.writeFileSync(`${marker}-main-first`, String(Date.now()));
          return { k: n % 10, v: n };
        },
        { name: "Keyed" },
      )
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ total: sum("v") }));
  },
});

/**
 * Kills its worker thread (process.exit in a worker ends that thread; called from a timer, outside the
 * runner's call of the function, which would turn it into a failure of the instance) at the first row at or after
 * `crashAt` it sees — once, when `marker` names a file, which the crash creates; on every attempt when
 * `marker` is empty.
 */
export const crashesWorker = definePipeline({
  options: {
    output: option.string("output prefix", { default: "out/crash" }),
    crashAt: option.integer("the row value at which the worker dies", { default: 0 }),
    marker: option.string("a file the crash creates; no crash once it exists", { default: "" }),
  },
  build(p, { output, crashAt, marker }) {
    p.apply("Input", create(Array.from({ length: 200_000 }, (_, i) => ({ k: i % 1013, v: i }))))
      .map(
        (r: { k: number; v: number }) => {
          if (!isMainThread && r.v >= crashAt && !(marker && fs.existsSync(marker))) {
            if (marker) fs.writeFileSync(marker, String(r.v));
            setImmediate(() => process.exit(1));
          }
          return r;
        },
        { name: "MayCrash" },
      )
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ n: count(), total: sum("v") }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output, { numShards: 2 }));
  },
});

/** A stateful count per key: each key's final count must be its number of rows, whatever the parallelism. */
export const statefulCounts = definePipeline({
  options: { output: option.string("output prefix", { default: "out/stateful" }) },
  build(p, { output }) {
    p.apply("Keys", create(Array.from({ length: 4000 }, (_, i) => ({ key: `k${i % 37}`, value: i }))))
      .apply(
        "CountPerKey",
        parDo({
          state: { n: state.value<number>() },
          timers: { flush: timer.eventTime() },
          process(_row: { key: string; value: number }, ctx) {
            ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
            ctx.timers.flush.set(ctx.timestamp + 1);
          },
          onTimer(_name, ctx) {
            ctx.output({ key: ctx.key, n: ctx.state.n.read() ?? 0 });
          },
        }),
      )
      .apply("Write", writeJsonLines(output));
  },
});

/** Sums per key and ten-second window of a scripted stream (a TestStream: simulated clock, one thread). */
export const scriptedSums = definePipeline({
  options: { output: option.string("output prefix", { default: "out/scripted" }) },
  build(p, { output }) {
    let script = testStream<{ k: string; v: number }>().advanceWatermarkTo(0);
    for (let i = 0; i < 300; i++) {
      script = script.addElements(timestamped({ k: `k${i % 7}`, v: i }, i * 100));
      if (i % 50 === 49) script = script.advanceWatermarkTo(i * 100);
    }
    p.apply("Script", script.advanceWatermarkToInfinity())
      .apply("PerTenSeconds", windowInto(fixedWindows("10s")))
      .apply("Sums", groupBy<{ k: string; v: number }>("k").aggregate({ total: sum("v") }))
      .map((r: Record<string, unknown>, { window }) => JSON.stringify({ start: window.start, ...r }), { name: "Json" })
      .apply("Write", writeText(output));
  },
});

/** An unbounded pipeline: numbers at a steady rate, counted by remainder per one-second window, written as text. */
export const endlessCounts = definePipeline({
  options: { output: option.string("output prefix", { default: "out/endless" }) },
  build(p, { output }) {
    p.apply("Ticks", generateSequence({ ratePerSecond: 20_000, eventTime: { start: 0, interval: 1 } }))
      .apply("Seconds", windowInto(fixedWindows("1s")))
      .map((n: number) => n % 7, { name: "Mod" })
      .apply("PerRemainder", countPerElement<number>())
      .map(({ key, value }: { key: number; value: number }) => `${key} ${value}`, { name: "Format" })
      .apply("Write", writeText(output));
  },
});

/** Numbers 0, 1, 2, … at 20,000 a second for ever, each written as a line: a stopped and resumed run must write a gapless prefix. */
export const endlessNumbers = definePipeline({
  options: { output: option.string("output prefix", { default: "out/numbers" }) },
  build(p, { output }) {
    p.apply("Ticks", generateSequence({ ratePerSecond: 20_000 }))
      .map((n: number) => String(n), { name: "Format" })
      .apply("Write", writeText(output));
  },
});

/**
 * Calls `process.exit(5)` from its function in a worker thread, on rows that reached the worker through
 * the exchange (after a shuffle).
 */
export const exitsInWorker = definePipeline({
  options: { output: option.string("output prefix", { default: "out/exits" }) },
  build(p, { output }) {
    p.apply("Input", create(Array.from({ length: 2000 }, (_, i) => ({ k: i % 64, v: i }))))
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ total: sum("v") }))
      .map(
        (r: Record<string, unknown>) => {
          if (!isMainThread) process.exit(5);
          return String(r.k);
        },
        { name: "MayExit" },
      )
      .apply("Write", writeText(output));
  },
});

/**
 * Numbers at 20,000 a second from one reader (rebalanced over the threads), keyed and summed per key
 * after an exchange by key; the worker thread's map sleeps `delayMs` at its first row, so the barriers
 * it forwards to the exchange come that much later than the calling thread's.
 */
export const slowSenderSums = definePipeline({
  options: {
    output: option.string("output prefix", { default: "out/slow-sender" }),
    delayMs: option.integer("how long the worker's map sleeps at its 1000th row", { default: 400 }),
  },
  build(p, { output, delayMs }) {
    // The worker sleeps at its 1000th row, some 100 ms into the read, when checkpoints (every few ms)
    // are under way: sleeping at its first row could come before any barrier on a loaded machine.
    let rows = 0;
    p.apply("Numbers", generateSequence({ to: 10_000, ratePerSecond: 20_000 }))
      .map(
        (n: number) => {
          if (!isMainThread && ++rows === 1000) {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
          }
          return { k: n % 10, v: n };
        },
        { name: "SlowOnWorker" },
      )
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ total: sum("v") }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output));
  },
});
