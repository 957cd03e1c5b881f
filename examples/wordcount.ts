/**
 * Word count: reads text files, splits each lower-cased line into words (the maximal runs of the
 * letters a–z; every other character separates words), counts each word and writes `word: count`
 * lines into output shards whose names start with the output prefix.
 *
 *   npx beamline run examples/wordcount.ts --input='examples/data/*.txt' --output=out/wordcount
 */
import { countPerElement, definePipeline, option, readText, writeText } from "beamline";

/** The words of a line: maximal runs of a–z after lower-casing. */
export function words(line: string): string[] {
  return line.toLowerCase().match(/[a-z]+/g) ?? [];
}

export default definePipeline({
  description: "Counts the words of text files.",
  options: {
    input: option.string("a text file or a glob of them (gzip when named .gz)", { default: "examples/data/*.txt" }),
    output: option.string("path prefix of the output shards", { default: "out/wordcount" }),
    shards: option.integer("number of output shards", { default: 1, min: 1 }),
  },
  build(p, { input, output, shards }) {
    p.apply("Read", readText(input))
      .flatMap(words, { name: "Words" })
      .apply("CountWords", countPerElement<string>())
      .map(({ key, value }) => `${key}: ${value}`, { name: "Format" })
      .apply("Write", writeText(output, { numShards: shards }));
  },
});
