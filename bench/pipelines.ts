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
