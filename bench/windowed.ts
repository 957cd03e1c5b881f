/**
 * Windowed aggregation over an Arrow IPC file of events `{key: int32, value: float64, time: float64 ms}`:
 * event time from `time`, fixed one-second windows, and per window and key the count and the sum of
 * `value`. Beamline runs readArrow → withTimestamps → windowInto(fixedWindows("1s")) →
 * groupBy("key").aggregate(...) → a map that adds the window start → writeCsv; plain JS loops over
 * the typed arrays into a Map per window. Both write `windowStart,key,n,total` CSV. With a checkpoint
 * interval, Beamline takes aligned checkpoints into `<outDir>/.checkpoints` (hidden: the output check skips it) while it runs and reports
 * how many it completed and how long they took.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import { windowedPipeline } from "./pipelines";
import { Impl } from "./measure";
import { readBatches, writeLines } from "./sum-per-key";

/** The window size of the case, in ms. */
export const WINDOW_MS = 1000;

/** Beamline: readArrow → withTimestamps("time") → windowInto(fixedWindows("1s")) → groupBy("key").aggregate → writeCsv (see `pipelines.ts`). */
export const beamlineDirect: Impl = async ({ input, outDir, rows, parallelism, checkpointIntervalMs }) => {
  const checkpoint = checkpointIntervalMs ? { dir: path.join(outDir, ".checkpoints"), intervalMs: checkpointIntervalMs } : undefined;
  const result = await new DirectRunner({ parallelism: parallelism ?? 1, checkpoint }).run(buildPipeline(windowedPipeline, { input, outDir }));
  if (!checkpoint) return { rows };
  const durations = result.checkpoints?.durationsMs ?? [];
  const report = {
    checkpointsCompleted: durations.length,
    checkpointMeanMs: durations.length ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
    checkpointMaxMs: durations.length ? Math.max(...durations) : null,
  };
  return { rows, report };
};

/** Plain JS: per record batch, a loop over the typed arrays into Map(window start → Map(key → [count, sum])). */
export const plainJs: Impl = async ({ input, outDir }) => {
  const windows = new Map<number, Map<number, [number, number]>>();
  let rows = 0;
  for await (const batch of readBatches(input)) {
    const keys = batch.getChild("key")!.data[0].values as Int32Array;
    const values = batch.getChild("value")!.data[0].values as Float64Array;
    const times = batch.getChild("time")!.data[0].values as Float64Array;
    const n = batch.numRows;
    for (let i = 0; i < n; i++) {
      const t = times[i];
      const start = t - (((t % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
      let perKey = windows.get(start);
      if (!perKey) windows.set(start, (perKey = new Map()));
      const acc = perKey.get(keys[i]);
      if (acc) {
        acc[0]++;
        acc[1] += values[i];
      } else perKey.set(keys[i], [1, values[i]]);
    }
    rows += n;
  }
  const out = fs.createWriteStream(path.join(outDir, "windows.csv"));
  await writeLines(out, "windowStart,key,n,total", groupsOf(windows), ([start, k, [n, total]]) => `${start},${k},${n},${total}`);
  return { rows };
};

function* groupsOf(windows: Map<number, Map<number, [number, number]>>): Generator<[number, number, [number, number]]> {
  for (const [start, perKey] of windows) for (const [k, acc] of perKey) yield [start, k, acc];
}
