/**
 * Tests import the package the way users do: a name that `beamline` (index.ts) exports comes from
 * `beamline`, never by relative path. Internals the public API leaves out are still imported by path.
 * test/architecture reads the source as source and is not held to this.
 */
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT, sourceFiles } from "./imports";
import { COMPILER_OPTIONS, pathImportsOfPublicNames, type PathImport } from "./path-imports";

/** Public names a test must import by path, each with the reason. */
const ALLOWED: readonly { file: string; name: string; why: string }[] = [
  { file: "test/runners/direct/columnar.test.ts", name: "recordBatchToRows", why: "jest.spyOn patches the module object the runner calls through" },
];

/** A program over index.ts and `files`, with `virtual` files (absolute path to text) that exist only in memory. */
function programOf(files: readonly string[], virtual: Readonly<Record<string, string>> = {}): ts.Program {
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => f in virtual || fileExists.call(host, f);
  host.readFile = (f) => virtual[f] ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) =>
    f in virtual ? ts.createSourceFile(f, virtual[f], lang) : getSourceFile.call(host, f, lang, ...rest);
  return ts.createProgram([path.join(ROOT, "index.ts"), ...files], COMPILER_OPTIONS, host);
}

const describeImport = (i: PathImport): string => `${i.file}: ${i.name} from "${i.from}" (import it from "beamline")`;

describe("test files import public names from beamline", () => {
  test("no test imports by relative path a name that index.ts exports", () => {
    const files = sourceFiles(["test"]).filter((f) => !f.startsWith(path.join("test", "architecture") + path.sep)).map((f) => path.join(ROOT, f));
    expect(files.length).toBeGreaterThan(100);
    const found = pathImportsOfPublicNames(programOf(files), files);
    const allowed = (i: PathImport) => ALLOWED.some((a) => a.file === i.file && a.name === i.name);
    expect(found.filter((i) => !allowed(i)).map(describeImport)).toEqual([]);
    // Every allowance is still needed: the scan finds it in the real file.
    expect(ALLOWED.filter((a) => !found.some((i) => i.file === a.file && i.name === a.name))).toEqual([]);
  });

  test("finds a public name imported by path: directly, through a re-export, renamed, as a type, through a namespace", () => {
    const file = path.join(ROOT, "test", "virtual-imports.test.ts");
    const text = [
      `import { Pipeline } from "../sdk/pipeline";`,
      `import { readText as read, TextSource } from "../transforms/io";`,
      `import type { KV } from "../sdk/kv";`,
      `import * as time from "../sdk/time";`,
      `import { globalBatch } from "../sdk/batch";`,
      `import { create } from "beamline";`,
      `export const uses = [Pipeline, read, TextSource, time.MAX_TIMESTAMP, globalBatch, create];`,
      `export type Pair = KV<string, number>;`,
    ].join("\n");
    const found = pathImportsOfPublicNames(programOf([file], { [file]: text }), [file]);
    expect(found.map((i) => [i.name, i.publicName, i.from, i.typeOnly])).toEqual([
      ["Pipeline", "Pipeline", "../sdk/pipeline", false],
      ["readText", "readText", "../transforms/io", false],
      ["KV", "KV", "../sdk/kv", true],
      ["MAX_TIMESTAMP", "MAX_TIMESTAMP", "../sdk/time", false],
    ]);
    expect(found.map(describeImport)[0]).toBe(`test/virtual-imports.test.ts: Pipeline from "../sdk/pipeline" (import it from "beamline")`);
  });
});
