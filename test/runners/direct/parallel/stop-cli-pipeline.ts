/**
 * The endless numbers as a pipeline file for the `beamline` command (see stop.test.ts), which also
 * leaves `<output>.started` once number 0 is formatted, so the test signals a run that is under way.
 */
import * as fs from "node:fs";
import { definePipeline, generateSequence, option, writeText } from "beamline";

export default definePipeline({
  options: { output: option.string("output prefix", { default: "out/numbers" }) },
  build(p, { output }) {
    p.apply("Ticks", generateSequence({ ratePerSecond: 20_000 }))
      .map(
        (n: number) => {
          if (n === 0) fs.writeFileSync(`${output}.started`, "");
          return String(n);
        },
        { name: "Format" },
      )
      .apply("Write", writeText(output));
  },
});
