/**
 * A resume across a change of the pipeline's code — a function body in a module the pipeline file
 * imports, which leaves the graph as it was — is refused, naming the file, unless forced.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../../../helpers";
import { startCli } from "./children";

const BEAMLINE = path.join(__dirname, "..", "..", "..", "..", "index.ts");

describe("--resume after the pipeline's code changed", () => {
  test("is refused with the changed file named and the flag that forces it; forced, it resumes and says so", async () => {
    const dir = tempDir("beamline-code-");
    fs.writeFileSync(path.join(dir, "scale.ts"), "export const scale = (n: number) => n * 2;\n");
    fs.writeFileSync(
      path.join(dir, "pipeline.ts"),
      [
        `import { create, definePipeline, option, writeText } from ${JSON.stringify(BEAMLINE)};`,
        'import { scale } from "./scale";',
        "export default definePipeline({",
        '  options: { output: option.string("output prefix", { default: "out" }) },',
        "  build(p, { output }) {",
        '    p.apply("Numbers", create([1, 2, 3])).map((n: number) => String(scale(n)), { name: "Scale" }).apply("Write", writeText(output));',
        "  },",
        "});",
        "",
      ].join("\n"),
    );
    const args = [`--output=${path.join(dir, "out")}`, `--checkpoint-dir=${path.join(dir, "cp")}`, "--parallelism=1", "--checkpoint-interval=20"];
    const file = path.join(dir, "pipeline.ts");
    expect((await startCli(file, args).exit).code).toBe(0);
    const same = await startCli(file, [...args, "--resume"]).exit;
    expect(same.err).toMatch(/resumed from checkpoint \d+/);
    expect(same.code).toBe(0);

    fs.writeFileSync(path.join(dir, "scale.ts"), "export const scale = (n: number) => n * 3;\n");
    const refused = await startCli(file, [...args, "--resume"]).exit;
    expect(refused.err).toMatch(/error \[BL_CHECKPOINT_OTHER_CODE\]: .*cp\/chk-\d+: \["scale\.ts"\] — the pipeline's code changed since this checkpoint was taken/);
    expect(refused.err).toContain("add --force-code-change to resume with the new code anyway");
    expect(refused.code).toBe(1);

    const forced = await startCli(file, [...args, "--resume", "--force-code-change"]).exit;
    expect(forced.err).toMatch(/--force-code-change: resuming from .*, taken with other code \(changed: scale\.ts\)/);
    expect(forced.code).toBe(0);
  }, 60_000);
});
