"use strict";
// The entry of a Beamline worker thread: a pre-built bundle of the worker and the pipeline module when
// the coordinator has one (see worker-bundle.ts), compiled with V8's code cache of it (see
// code-cache.js); otherwise the TypeScript sources, compiled on load (see runners/load/register.js),
// which this registers before loading the worker's main module.
const { workerData } = require("node:worker_threads");
const bundle = workerData && workerData.spec && workerData.spec.bundle;
if (bundle) {
  require("./code-cache.js").loadWithCodeCache(bundle);
} else {
  require("../../load/register.js");
  require("./worker.ts");
}
