/**
 * A pipeline module that makes the process exit with code 0 while its run is in progress, from a
 * timer of the main thread's own (outside the run: nothing the runner can turn into a failure).
 */
import { definePipeline, generateSequence, option, writeText } from "beamline";
import { isMainThread } from "node:worker_threads";

export default definePipeline({
  options: { output: option.string("output prefix", { default: "out/exits-outside" }) },
  build(p, { output }) {
    if (isMainThread) setTimeout(() => process.exit(0), 300).unref();
    p.apply("Ticks", generateSequence({ to: 3000, ratePerSecond: 2000 }))
      .map((n: number) => String(n), { name: "Format" })
      .apply("Write", writeText(output));
  },
});
