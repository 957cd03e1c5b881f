/**
 * A pipeline whose output is not transactional: a user function appends each word to a file as a side
 * effect (at least once: input replayed after a restart or a resume appends again), beside a
 * transactional word count. The kit must catch the repeated lines.
 */
import * as fs from "node:fs";
import { countPerElement, definePipeline, option, readText, writeText } from "beamline";

export default definePipeline({
  options: {
    input: option.string("a text file", { default: "in.txt" }),
    output: option.string("output prefix", { default: "out/side" }),
  },
  build(p, { input, output }) {
    p.apply("Read", readText(input))
      .flatMap((line: string) => line.split(" "), { name: "Words" })
      .map(
        (w: string) => {
          fs.appendFileSync(`${output}-side-effect.txt`, `${w}\n`);
          return w;
        },
        { name: "AppendToFile" },
      )
      .apply("CountWords", countPerElement<string>())
      .map(({ key, value }) => `${key}: ${value}`, { name: "Format" })
      .apply("Write", writeText(`${output}-counts`));
  },
});
