/** The pipeline of the code cache test, in a module of its own so that no other test shares its worker bundle. */
import { create, definePipeline, option, writeText } from "beamline";

/** Squares of the first numbers, written as text. */
export const squares = definePipeline({
  options: { output: option.string("output prefix", { default: "out/squares" }) },
  build(p, { output }) {
    p.apply("Numbers", create(Array.from({ length: 200 }, (_, i) => ({ n: i }))))
      .map((r: { n: number }) => `${r.n * r.n}`, { name: "Square" })
      .apply("Write", writeText(output));
  },
});
