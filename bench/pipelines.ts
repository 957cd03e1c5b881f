/**
 * The Beamline pipelines of the aggregation cases, as definitions (so that the direct runner can run
 * them on worker threads: each worker loads this module again and rebuilds the same graph).
 */
import * as path from "node:path";
import { definePipeline } from "../sdk/definition";
import { option } from "../sdk/options";
import { fixedWindows } from "../sdk/window";
import { count, sum } from "../transforms/combiners";
import { groupBy } from "../transforms/group";
import { readArrow } from "../transforms/io/arrow";
import { writeCsv } from "../transforms/io/csv";
import { withTimestamps, windowInto } from "../transforms/windowing";
import { parDo } from "../sdk/pardo";
import { generateSequence } from "../transforms/sources";
import { writeText } from "../transforms/io/text";
import { state, timer, type ValueState } from "../sdk/state";
import type { KV } from "../sdk/kv";

const io = {
  input: option.string("the input Arrow IPC file", { default: "" }),
  outDir: option.string("the output directory", { default: "" }),
};

/** readArrow → groupBy("key").aggregate({ total: sum("value") }) → writeCsv. */
export const sumPerKeyPipeline = definePipeline({
  options: io,
  build(p, { input, outDir }) {
    p.apply("Read", readArrow(input))
      .apply("SumPerKey", groupBy("key").aggregate({ total: sum("value") }))
      .apply("Write", writeCsv(path.join(outDir, "sums")));
  },
});

/** readArrow → withTimestamps("time") → windowInto(fixedWindows("1s")) → groupBy("key").aggregate → a map adding the window start → writeCsv. */
export const windowedPipeline = definePipeline({
  options: io,
  build(p, { input, outDir }) {
    p.apply("Read", readArrow(input))
      .apply("EventTime", withTimestamps("time"))
      .apply("PerSecond", windowInto(fixedWindows("1s")))
      .apply("CountAndSum", groupBy("key").aggregate({ n: count(), total: sum("value") }))
      .map((row: Record<string, unknown>, { window }) => ({ windowStart: window.start, key: row.key as number, n: row.n as number, total: row.total as number }), { name: "WithWindow" })
      .apply("Write", writeCsv(path.join(outDir, "windows")));
  },
});

/**
 * `keys` keys of windowed state: a sequence 0…keys-1 as `{key: n, value: n}` rows in one one-second
 * window, a stateful DoFn keeping a count and a sum per key in value state and emitting them when the
 * window expires, then the count and sum of those over all keys (one line of JSON). With `timers`,
 * an event-time timer per key at the end of the window emits instead (10M timers held too).
 */
export const statePerKeyPipeline = definePipeline({
  options: {
    keys: option.integer("distinct keys", { default: 1_000_000 }),
    outDir: option.string("the output directory", { default: "" }),
    timers: option.boolean("emit with a timer per key instead of at window expiry", { default: false }),
  },
  build(p, { keys, outDir, timers }) {
    const perKey = {
      state: { n: state.value<number>(), total: state.value<number>() },
      process(row: KV<number, number>, ctx: { state: { n: ValueState<number>; total: ValueState<number> } }) {
        ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
        ctx.state.total.write((ctx.state.total.read() ?? 0) + row.value);
      },
    };
    p.apply("Keys", generateSequence({ to: keys }))
      .map((n: number) => ({ key: n, value: n, time: n % 1000 }), { name: "Rows" })
      .apply("EventTime", withTimestamps("time"))
      .apply("PerSecond", windowInto(fixedWindows("1s")))
      .map((r: { key: number; value: number }) => ({ key: r.key, value: r.value }), { name: "ToKv" })
      .apply(
        "StatePerKey",
        timers
          ? parDo({
              ...perKey,
              timers: { end: timer.eventTime() },
              process(row: KV<number, number>, ctx) {
                perKey.process(row, ctx);
                ctx.timers.end.set(ctx.window.end - 1);
              },
              onTimer(_name, ctx) {
                ctx.output({ n: ctx.state.n.read()!, total: ctx.state.total.read()! });
              },
            })
          : parDo({
              ...perKey,
              onWindowExpiration(ctx) {
                ctx.output({ n: ctx.state.n.read()!, total: ctx.state.total.read()! });
              },
            }),
      )
      .map((r: unknown) => ({ all: 0, ...(r as { n: number; total: number }) }), { name: "One" })
      .apply("Totals", groupBy("all").aggregate({ keys: count(), rows: sum("n"), total: sum("total") }))
      .map((r: unknown) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(path.join(outDir, "totals")));
  },
});
