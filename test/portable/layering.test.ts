import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeLayeringProblems, layeringProblems } from "../layering";

const REPO = path.resolve(__dirname, "../..");

/** Writes `files` (path → source) under a fresh temporary directory and returns it. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-layering-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("layering of the portable runners", () => {
  it("has no import cycle and no two folders importing each other under runners/portable, runners/flink and runners/prism", () => {
    const problems = describeLayeringProblems(layeringProblems(REPO, ["runners/portable", "runners/flink", "runners/prism"]));
    expect(problems).toEqual([]);
  });
});

describe("layeringProblems", () => {
  it("finds a file-level cycle through every kind of import and prints its path", () => {
    const dir = tree({
      "src/a.ts": 'import { b } from "./b";\nexport const a = b;\n',
      "src/b.ts": 'import type { C } from "./c";\nexport const b = 1 as unknown as C;\n',
      "src/c.ts": 'export type C = number;\nexport function load() { return require("./a"); }\n',
      "src/d.ts": 'export * from "./a";\n',
    });
    const p = layeringProblems(dir, ["src"]);
    expect(p.cycles).toEqual([["src/a.ts", "src/b.ts", "src/c.ts", "src/a.ts"]]);
    expect(p.folderPairs).toEqual([]);
    expect(describeLayeringProblems(p)).toEqual(["import cycle: src/a.ts → src/b.ts → src/c.ts → src/a.ts"]);
  });

  it("finds folders that import each other without a file cycle, and names an import each way", () => {
    const dir = tree({
      "lib/low/wire.ts": 'import { NAME } from "../names";\nexport const wire = NAME;\n',
      "lib/names.ts": 'export const NAME = "x";\n',
      "lib/runner.ts": 'import { wire } from "./low/wire";\nexport const run = () => import("./low/other").then(() => wire);\n',
      "lib/low/other.ts": "export {};\n",
    });
    const p = layeringProblems(dir, ["lib"]);
    expect(p.cycles).toEqual([]);
    expect(p.folderPairs).toEqual([
      { folders: ["lib", "lib/low"], forward: { from: "lib/runner.ts", to: "lib/low/wire.ts" }, backward: { from: "lib/low/wire.ts", to: "lib/names.ts" } },
    ]);
  });

  it("passes one-way layers and ignores imports of packages and of files outside the roots", () => {
    const dir = tree({
      "app/top.ts": 'import * as fs from "node:fs";\nimport { x } from "./mid/x";\nimport { y } from "../elsewhere/y";\nexport const t = [fs, x, y];\n',
      "app/mid/x.ts": 'import { z } from "./low/z";\nexport const x = z;\n',
      "app/mid/low/z.ts": "export const z = 1;\n",
      "elsewhere/y.ts": 'import { t } from "../app/top";\nexport const y = t;\n',
    });
    expect(layeringProblems(dir, ["app"])).toEqual({ cycles: [], folderPairs: [] });
  });
});
