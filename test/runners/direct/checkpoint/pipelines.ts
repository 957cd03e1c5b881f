/**
 * The checkpoint tests' golden pipelines; worker threads and child processes load this module
 * again, so it declares only definitions (no tests).
 */
import { definePipeline, fixedWindows, flatten, globalWindows, groupBy, groupByKey, option, readText, sum, count, windowInto, withTimestamps, writeText } from "beamline";
import type { Pipeline, PCollection } from "beamline";

interface Row {
  k: number;
  v: number;
  t: number;
  s: string;
}

const options = (output: string) => ({
  input: option.string("input file", { default: "in.txt" }),
  output: option.string("output prefix", { default: output }),
});

/** The rows of the input file (`k,v,t,s` lines). */
function readRows(p: Pipeline, input: string): PCollection<Row> {
  return p.apply("Read", readText(input)).map(
    (line: string) => {
      const [k, v, t, s] = line.split(",");
      return { k: Number(k), v: Number(v), t: Number(t), s } as Row;
    },
    { name: "Parse" },
  );
}

/** Count and sum of `v` per key `k` and one-second window of `t`, as JSON lines. */
function windowedSums(rows: PCollection<Row>): PCollection<string> {
  return rows
    .apply("EventTime", withTimestamps<Row>("t"))
    .apply("PerSecond", windowInto(fixedWindows("1s")))
    .apply("SumPerWindow", groupBy<Row>("k").aggregate({ n: count(), total: sum("v") }))
    .map((r: Record<string, unknown>, { window }) => JSON.stringify({ start: window.start, ...r }), { name: "WindowsJson" });
}

/** The values `v` of each word `s` (a GroupByKey), as JSON lines. */
function groupsByWord(rows: PCollection<Row>): PCollection<string> {
  return rows
    .map((r: Row) => ({ key: r.s, value: r.v }), { name: "ToKv" })
    .apply("Group", groupByKey<string, number>())
    .map((g: { key: string; values: number[] }) => JSON.stringify({ key: g.key, values: [...g.values].sort((a, b) => a - b) }), { name: "GroupsJson" });
}

/**
 * File input (`k,v,t,s` lines) → sums per key and one-second window, and a GroupByKey of values
 * by word → text output, one JSON object per line.
 */
export const checkpointGolden = definePipeline({
  options: options("out/golden"),
  build(p, { input, output }) {
    const rows = readRows(p, input);
    windowedSums(rows).apply("WriteWindows", writeText(`${output}-windows`, { numShards: 2 }));
    groupsByWord(rows).apply("WriteGroups", writeText(`${output}-groups`));
  },
});

/**
 * The same two aggregations flattened into one output: the flatten, on every worker, takes inputs
 * from two exchanges, so a checkpoint's barrier reaches it by one input before the other (the
 * alignment within a thread).
 */
export const flattenedGolden = definePipeline({
  options: options("out/flattened"),
  build(p, { input, output }) {
    const rows = readRows(p, input);
    const windows = windowedSums(rows).apply("Rewindow", windowInto<string>(globalWindows()));
    flatten([windows, groupsByWord(rows)]).apply("Write", writeText(output, { numShards: 2 }));
  },
});
