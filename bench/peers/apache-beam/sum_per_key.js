"use strict";
/**
 * Sum per key on Apache Beam's TypeScript SDK (direct runner): the lines of a CSV file (read in a
 * DoFn), parsed to `{key, value}` rows, groupBy("key").combining("value", sum, "total"), `key,total` lines.
 */
const fs = require("node:fs");
const path = require("node:path");
const beam = require("apache-beam");
const { sum } = require("apache-beam/transforms/combiners");
const { main, readLinesInPipeline } = require("./common");

/** A `key,value` line as a row. */
function parse(line) {
  const comma = line.indexOf(",");
  return { key: Number(line.slice(0, comma)), value: Number(line.slice(comma + 1)) };
}

main(async ({ input, outDir, rows }) => {
  const out = [];
  globalThis.__beamBenchOut = out;
  await beam.createRunner({ runner: "direct" }).run((root) => {
    readLinesInPipeline(beam, root, input, { skipHeader: true })
      .map(parse)
      .apply(beam.groupBy("key").combining("value", sum, "total"))
      .map(function collect(row) {
        globalThis.__beamBenchOut.push(row);
      });
  });
  fs.writeFileSync(path.join(outDir, "sums.csv"), "key,total\n" + out.map((r) => `${r.key},${r.total}\n`).join(""));
  let cents = 0;
  for (const r of out) cents += Math.round(r.total * 100);
  return { rows, outputRows: out.length, checksum: cents };
});
