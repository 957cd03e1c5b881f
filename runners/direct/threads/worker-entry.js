"use strict";
// The entry of a Beamline worker thread: Beamline and pipeline modules are TypeScript, compiled on
// load by tsx, which this registers before loading the worker's main module.
require("tsx/cjs/api").register();
require("./worker.ts");
