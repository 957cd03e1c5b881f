/** A pipeline module that imports dynamically when it loads, in a module of its own (its own worker bundle). */
import { create, definePipeline, option, writeText } from "beamline";

/** Whether this thread's dynamic import finished: each thread that loads the module imports. */
export const imported = import("node:os").then((os) => typeof os.cpus === "function");

/** Numbers, written as text once the module's dynamic import has finished in the thread that writes them. */
export const importing = definePipeline({
  options: { output: option.string("output prefix", { default: "out/importing" }) },
  build(p, { output }) {
    p.apply("Numbers", create(Array.from({ length: 100 }, (_, i) => ({ n: i }))))
      .map((r: { n: number }) => `${r.n}`, { name: "Text" })
      .apply("Write", writeText(output));
  },
});
