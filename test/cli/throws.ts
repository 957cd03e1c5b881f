/**
 * A pipeline whose user function throws: at the value 7, or (with `--in-worker`) at every value a
 * worker thread sees. Worker threads load this module again, so it declares only the definition.
 */
import { isMainThread } from "node:worker_threads";
import { countPerElement, definePipeline, generateSequence, option, writeText } from "beamline";

/** The row as JSON; throws where the pipeline is told to. */
function check(r: { v: number }, inWorker: boolean): string {
  if (inWorker ? !isMainThread : r.v === 7) throw new Error(`bad row ${r.v}`);
  return JSON.stringify(r);
}

export default definePipeline({
  options: {
    output: option.string("output prefix", { default: "out/throws" }),
    inWorker: option.boolean("throw at every row a worker thread sees, instead of at row 7", { default: false }),
  },
  build(p, { output, inWorker }) {
    // Counted per value, the rows are spread over the instances by key.
    p.apply("Input", generateSequence({ to: 1000 }))
      .apply("Count", countPerElement<number>())
      .map(({ key }: { key: number }) => check({ v: key }, inWorker), { name: "Check" })
      .apply("Write", writeText(output));
  },
});
