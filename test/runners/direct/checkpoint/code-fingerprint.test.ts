/** The code a checkpoint records: the pipeline file and its local modules, never Beamline's own or a package's. */
import * as path from "node:path";
import { changedFiles, codeFiles } from "../../../../runners/direct/checkpoint/code-fingerprint";

describe("the code of a pipeline", () => {
  test("is its file and the local modules it imports, by path relative to it, each hashed", () => {
    const files = codeFiles(path.join(__dirname, "windowed-golden.ts"));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["pipelines.ts", "windowed-golden.ts"]));
    expect(Object.keys(files).every((f) => !f.includes("node_modules") && !/^(\.\.\/)+(sdk|runners|transforms|index\.ts)/.test(f))).toBe(true);
    expect(Object.values(files).every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
  });

  test("changes are the files changed, added or removed", () => {
    expect(changedFiles({ "a.ts": "1", "b.ts": "2", "c.ts": "3" }, { "a.ts": "1", "b.ts": "9", "d.ts": "4" })).toEqual(["b.ts", "c.ts", "d.ts"]);
  });
});
