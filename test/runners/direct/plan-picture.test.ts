import * as fs from "node:fs";
import * as path from "node:path";
import { countPerElement, create, Pipeline } from "beamline";
import { main } from "../../../runners/cli";
import { planDot, planSvg } from "../../../runners/direct/plan/picture";
import { defaultOperators } from "../../../runners/direct/operators/registry";
import { plan } from "../../../runners/direct/plan/planner";
import { tempDir } from "../../helpers";

/** A pipeline whose names need escaping in DOT and SVG, with a keyed stage. */
function tricky(): Pipeline {
  const p = new Pipeline();
  p.apply('Read "A" & <B>', create([1, 2, 3]))
    .map((n: number) => n % 2, { name: "Mod\\2" })
    .apply("Count", countPerElement<number>())
    .map((kv: { key: number; value: number }) => `${kv.key}:${kv.value}`, { name: "Format" });
  return p;
}

describe("beamline graph", () => {
  const p = tricky();
  const graph = p.graph();
  const planned = plan(graph, defaultOperators());

  test("DOT: a cluster per fused stage holding its transforms, edges into a stage labelled with their exchange", () => {
    const dot = planDot(graph, planned);
    expect(planned.stages.length).toBe(2);
    expect(dot.match(/subgraph cluster_\d+ \{/g)).toHaveLength(2);
    for (const n of planned.nodes) expect(dot).toContain(`"${n.transform.uniqueName.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}" [label=`);
    expect(dot).toContain('"Read \\"A\\" & <B>" [label="Read \\"A\\" & <B>\\nread"]');
    expect(dot).toContain('"Mod\\\\2" -> "Count/Count" [label="hash", style=bold];');
    expect(dot).toContain('"Count/Count" -> "Count/ToKV";');
  });

  test("SVG: a box per transform, a line per edge, every name escaped", () => {
    const svg = planSvg(graph, planned);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(planned.nodes.length);
    expect(svg.match(/<line /g)).toHaveLength(planned.nodes.length - 1);
    expect(svg).toContain("Read &quot;A&quot; &amp; &lt;B&gt;");
    expect(svg).not.toContain("<B>");
    // Layers go down: the source above the count above the format.
    const y = (name: string) => Number(new RegExp(`<title>${name.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")} \\([\\s\\S]*?<rect x="[\\d.]+" y="([\\d.]+)"`).exec(svg)![1]);
    expect(y("Count/Count")).toBeGreaterThan(y("Mod\\2"));
    expect(y("Format")).toBeGreaterThan(y("Count/Count"));
  });

  test("the command writes PREFIX.dot and PREFIX.svg of a pipeline file, built with the options given", async () => {
    const prefix = path.join(tempDir(), "wc");
    let err = "";
    const code = await main(["graph", "examples/wordcount.ts", `--graph-output=${prefix}`, "--output=/nowhere/wc"], { out: () => {}, err: (t) => (err += `${t}\n`) });
    expect(code).toBe(0);
    expect(err).toBe(`beamline: 6 steps in 2 stages: ${prefix}.dot, ${prefix}.svg\n`);
    expect(fs.readFileSync(`${prefix}.dot`, "utf8")).toContain('"Words" -> "CountWords/Count" [label="hash", style=bold];');
    expect(fs.readFileSync(`${prefix}.svg`, "utf8")).toContain("CountWords/Count");
    const bad = await main(["graph", "examples/wordcount.ts", "--bogus=1"], { out: () => {}, err: () => {} });
    expect(bad).toBe(1);
  });
});
