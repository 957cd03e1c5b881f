"use strict";
/**
 * Shared by the Apache Beam baselines: timing, peak RSS and the result file. Each baseline runs in
 * its own process (started by bench/run.ts) and writes one JSON object to BENCH_RESULT_FILE.
 */
const fs = require("node:fs");
const { StringDecoder } = require("node:string_decoder");

/** Parses the params the harness passes as the one argument. */
function params() {
  const json = process.argv[2];
  if (!json) throw new Error("usage: node <baseline>.js '<params json>' (started by bench/run.ts)");
  return JSON.parse(json);
}

/**
 * Times `run` (which reads the input, runs the pipeline and writes the output) and reports
 * `{rows, outputRows, checksum, seconds, peakRssMB}`.
 */
async function measureAndReport(run) {
  const p = params();
  const started = process.hrtime.bigint();
  const out = await run(p);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result = { ...out, seconds, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  fs.writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(result));
}

/** The non-empty lines of a text file, read 1 MB at a time (bounded memory). */
function* readLines(file) {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    const utf8 = new StringDecoder("utf8");
    let rest = "";
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      const lines = (rest + utf8.write(buf.subarray(0, n))).split("\n");
      rest = lines.pop();
      for (const l of lines) if (l.length > 0) yield l;
    }
    rest += utf8.end();
    if (rest.length > 0) yield rest;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A PCollection of the lines of a file, read inside the pipeline: `beam.create` of the file name,
 * then a flatMap that reads it. (`beam.create(lines)` would serialize every line into the pipeline
 * with Beam's closure serialization, which takes time quadratic in the number of elements.) Beam
 * serializes and revives DoFns even on the direct runner, so the DoFn reaches the reader through a
 * global rather than a closure.
 */
function readLinesInPipeline(beam, root, file, { skipHeader = false } = {}) {
  globalThis.__beamBenchReadLines = function* (f) {
    const lines = readLines(f);
    if (skipHeader) lines.next();
    yield* lines;
  };
  return root.apply(beam.create([file])).flatMap(function readFile(f) {
    return globalThis.__beamBenchReadLines(f);
  });
}

function main(run) {
  measureAndReport(run).catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}

module.exports = { main, readLinesInPipeline };
