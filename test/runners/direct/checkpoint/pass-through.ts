/** A pipeline file the `beamline` command runs: text lines copied to text files, two shards. */
import { definePipeline, option, readText, writeText } from "beamline";

export default definePipeline({
  options: {
    input: option.string("input file", { default: "in.txt" }),
    output: option.string("output prefix", { default: "out/copy" }),
  },
  build(p, { input, output }) {
    p.apply("Read", readText(input)).apply("Write", writeText(output, { numShards: 2 }));
  },
});
