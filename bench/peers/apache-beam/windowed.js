"use strict";
/**
 * Windowed aggregation on Apache Beam's TypeScript SDK (direct runner): the lines of a CSV file of events
 * (read in a DoFn), parsed to `{key, value, time}` rows, assignTimestamps from `time`, windowInto(fixedWindows(1)),
 * groupBy("key").combining(count).combining(sum), `windowStart,key,n,total` lines.
 */
const fs = require("node:fs");
const path = require("node:path");
const beam = require("apache-beam");
const Long = require("long");
const { count, sum } = require("apache-beam/transforms/combiners");
const { main, readLinesInPipeline } = require("./common");

/** A `key,value,time` line as a row. */
function parse(line) {
  const [key, value, time] = line.split(",");
  return { key: Number(key), value: Number(value), time: Number(time) };
}

function eventTime(row) {
  return Long.fromNumber(row.time);
}
eventTime.__closure = () => ({ Long }); // what Beam's closure serialization needs to see

main(async ({ input, outDir, rows }) => {
  const out = [];
  globalThis.__beamBenchOut = out;
  await beam.createRunner({ runner: "direct" }).run((root) => {
    readLinesInPipeline(beam, root, input, { skipHeader: true })
      .map(parse)
      .apply(beam.assignTimestamps(eventTime))
      .apply(beam.windowInto(beam.fixedWindows(1)))
      .apply(beam.groupBy("key").combining("value", count, "n").combining("value", sum, "total"))
      .map(
        function collect(row, context) {
          globalThis.__beamBenchOut.push({ windowStart: context.window.lookup().start.toNumber(), ...row });
        },
        { window: beam.windowParam() },
      );
  });
  fs.writeFileSync(path.join(outDir, "windows.csv"), "windowStart,key,n,total\n" + out.map((r) => `${r.windowStart},${r.key},${r.n},${r.total}\n`).join(""));
  let cents = 0;
  for (const r of out) cents += Math.round(r.total * 100);
  return { rows, outputRows: out.length, checksum: cents };
});
