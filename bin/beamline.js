#!/usr/bin/env node
"use strict";
// The `beamline` command. Beamline runs from its TypeScript sources, compiled on load (see runners/load/register.js).
require("../runners/load/register.js");
require("../runners/cli.ts")
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
