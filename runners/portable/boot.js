#!/usr/bin/env node
"use strict";
// The PROCESS environment's boot command: Beamline runs from its TypeScript sources, compiled on load.
require("../load/register.js");
const { boot } = require("./boot.ts");
boot(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    const text = `beamline worker ${process.argv.slice(2).join(" ")}: ${e && e.stack ? e.stack : String(e)}\n`;
    process.stderr.write(text);
    // The runner may not keep a worker's output: leave it in the cache's logs too, and with the
    // submitting process, which ends the run with it.
    const path = require("node:path");
    require("node:fs").appendFileSync(path.join(require("./provision/cache.ts").cacheDir("logs"), "workers.log"), text);
    require("./worker-reports.ts").writeWorkerReport(text);
    process.exit(1);
  },
);
