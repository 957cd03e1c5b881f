#!/usr/bin/env node
"use strict";
// The `beamline` command. Beamline runs from its TypeScript sources; tsx compiles them on load.
require("tsx/cjs/api").register();
require("../runners/cli.ts")
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
