/**
 * The checkpoint tests' stateful golden pipeline, as a pipeline file the `beamline` command runs:
 * `k,v,t,s` lines → per key `k` and one-second window, every kind of state cell and an event-time
 * timer at the end of the window; per word `s` in the global window, a running count kept in value
 * state and emitted when the window expires — JSON lines out. Its state lives on either state backend.
 */
import { definePipeline, fixedWindows, option, parDo, readText, state, timer, withTimestamps, windowInto, writeText, type KV } from "beamline";

interface Row {
  k: number;
  v: number;
  t: number;
  s: string;
}

const sum = { createAccumulator: () => 0, addInput: (a: number, x: number) => a + x, mergeAccumulators: (xs: number[]) => xs.reduce((a, b) => a + b, 0), extractOutput: (a: number) => a };

export default definePipeline({
  options: {
    input: option.string("input file", { default: "in.txt" }),
    output: option.string("output prefix", { default: "out/stateful" }),
  },
  build(p, { input, output }) {
    const rows = p
      .apply("Read", readText(input))
      .map((line: string) => {
        const [k, v, t, s] = line.split(",");
        return { k: Number(k), v: Number(v), t: Number(t), s } as Row;
      }, { name: "Parse" })
      .apply("EventTime", withTimestamps<Row>("t"));
    rows
      .apply("PerSecond", windowInto(fixedWindows("1s")))
      .map((r: Row) => ({ key: r.k, value: r.v }), { name: "ByKey" })
      .apply(
        "EveryCell",
        parDo({
          state: {
            n: state.value<number>(),
            bag: state.bag<number>(),
            distinct: state.set<number>(),
            byValue: state.map<number, number>(),
            total: state.combining<number, number, number>(sum),
            sorted: state.orderedList<number>(),
          },
          timers: { end: timer.eventTime() },
          process(row: KV<number, number>, ctx) {
            ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
            ctx.state.bag.add(row.value);
            ctx.state.distinct.add(row.value % 7);
            ctx.state.byValue.put(row.value % 5, (ctx.state.byValue.get(row.value % 5) ?? 0) + 1);
            ctx.state.total.add(row.value);
            ctx.state.sorted.add(ctx.timestamp, row.value);
            ctx.timers.end.set(ctx.window.end - 1);
          },
          onTimer(_name, ctx) {
            const sorted = ctx.state.sorted.read().map((e) => e.value);
            ctx.output(JSON.stringify({
              key: ctx.key,
              start: ctx.window.start,
              n: ctx.state.n.read(),
              bag: [...ctx.state.bag.read()].sort((a, b) => a - b),
              distinct: [...ctx.state.distinct.read()].sort((a, b) => a - b),
              byValue: [...ctx.state.byValue.entries()].sort((a, b) => a[0] - b[0]),
              total: ctx.state.total.read(),
              first: sorted[0],
              last: sorted[sorted.length - 1],
            }));
          },
        }),
      )
      .apply("WriteWindows", writeText(`${output}-windows`, { numShards: 2 }));
    rows
      .map((r: Row) => ({ key: r.s, value: r.v }), { name: "ByWord" })
      .apply(
        "CountWords",
        parDo({
          state: { n: state.value<number>(), total: state.value<number>() },
          process(row: KV<string, number>, ctx) {
            ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
            ctx.state.total.write((ctx.state.total.read() ?? 0) + row.value);
          },
          onWindowExpiration(ctx) {
            ctx.output(JSON.stringify({ word: ctx.key, n: ctx.state.n.read(), total: ctx.state.total.read() }));
          },
        }),
      )
      .apply("WriteWords", writeText(`${output}-words`));
  },
});
