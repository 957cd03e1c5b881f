/**
 * Pipelines the thread tests run; worker threads load this module again, so it declares only
 * definitions (no tests).
 */
import { isMainThread } from "node:worker_threads";
import { create, definePipeline, option } from "beamline";

/** A small deterministic pipeline. */
export const numbers = definePipeline({
  options: { count: option.integer("how many numbers", { default: 10 }) },
  build(p, { count }) {
    p.apply("Numbers", create(Array.from({ length: count }, (_, i) => ({ n: i }))))
      .map((r: { n: number }) => ({ n: r.n * 2 }), { name: "Double" });
  },
});

/** A pipeline whose graph differs between the main thread and workers: a nondeterministic construction. */
export const threadDependent = definePipeline({
  build(p) {
    p.apply(isMainThread ? "Main" : "Worker", create([{ n: 1 }]));
  },
});
