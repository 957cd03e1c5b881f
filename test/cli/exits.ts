/**
 * A pipeline whose user function calls `process.exit(code)` at the row with value 0 (read by
 * instance 0) — once when `marker` names a file (the exit creates it), on every attempt otherwise.
 * Worker threads load this module again, so it declares only the definition.
 */
import * as fs from "node:fs";
import { count, create, definePipeline, groupBy, option, sum, writeText } from "beamline";

export default definePipeline({
  options: {
    output: option.string("output prefix", { default: "out/exits" }),
    code: option.integer("the exit code the function passes to process.exit", { default: 3 }),
    marker: option.string("a file the exit creates; no exit once it exists", { default: "" }),
  },
  build(p, { output, code, marker }) {
    p.apply("Input", create(Array.from({ length: 20_000 }, (_, i) => ({ k: i % 101, v: i }))))
      .map(
        (r: { k: number; v: number }) => {
          if (r.v === 0 && !(marker && fs.existsSync(marker))) {
            if (marker) fs.writeFileSync(marker, "exited");
            process.exit(code);
          }
          return r;
        },
        { name: "MayExit" },
      )
      .apply("Sum", groupBy<{ k: number; v: number }>("k").aggregate({ n: count(), total: sum("v") }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output));
  },
});
