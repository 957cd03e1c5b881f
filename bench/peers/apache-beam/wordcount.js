"use strict";
/**
 * Word count on Apache Beam's TypeScript SDK (direct runner): the lines of the input file (read in a
 * DoFn: Beam's textio.readFromText is a Python cross-language transform), the same tokenisation as
 * Beamline's example, countPerElement, `word: count` lines.
 */
const fs = require("node:fs");
const path = require("node:path");
const beam = require("apache-beam");
const { main, readLinesInPipeline } = require("./common");

main(async ({ input, outDir }) => {
  const out = [];
  globalThis.__beamBenchOut = out; // Beam serializes DoFns; a global survives it.
  await beam.createRunner({ runner: "direct" }).run((root) => {
    readLinesInPipeline(beam, root, input)
      .flatMap(function words(line) {
        return line.toLowerCase().match(/[a-z]+/g) || [];
      })
      .apply(beam.countPerElement())
      .map(function format(kv) {
        globalThis.__beamBenchOut.push(`${kv.element}: ${kv.count}\n`);
      });
  });
  fs.writeFileSync(path.join(outDir, "wordcount.txt"), out.join(""));
  let words = 0;
  for (const l of out) words += Number(l.slice(l.indexOf(": ") + 2));
  return { rows: words, outputRows: out.length, checksum: words };
});
