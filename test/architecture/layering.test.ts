/**
 * The project's import rules, read from the source: no cycle of files, no two folders importing each
 * other, `sdk/` importing no runner and no transform, and the direct runner's layers importing only
 * downwards.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileCycles, foldersImportingEachOther, importsOf, sourceFiles } from "./imports";

const CHECKED = ["index.ts", "sdk", "transforms", "runners"];

/** The direct runner's folders, lowest first: a folder imports only folders of a lower rank. */
const DIRECT_LAYERS: readonly (readonly string[])[] = [
  ["data", "faults", "contract"],
  ["state", "precombine"],
  ["panes"],
  ["operators"],
  ["plan"],
  ["execution"],
  ["checkpoint"],
  ["parallel"],
  ["."],
];

describe("imports", () => {
  const edges = importsOf(sourceFiles(CHECKED));

  test("reads the imports it checks", () => {
    // A reader that found nothing would pass every rule below.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: "runners/direct/runner.ts", to: "runners/direct/operators/registry.ts", typeOnly: false });
  });

  test("no file imports itself through a cycle", () => {
    expect(fileCycles(edges).map((c) => c.join(" -> "))).toEqual([]);
  });

  test("no two folders import each other", () => {
    expect(foldersImportingEachOther(edges)).toEqual([]);
  });

  test("sdk/ imports no runner and no transform", () => {
    expect(edges.filter((e) => e.from.startsWith("sdk/") && !e.to.startsWith("sdk/")).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  test("runners/runtime imports only sdk/ and itself: both runners share it, it knows neither", () => {
    const outside = edges.filter((e) => e.from.startsWith("runners/runtime/") && !e.to.startsWith("runners/runtime/") && !e.to.startsWith("sdk/"));
    expect(outside.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    // A rule over no files would pass whatever runtime imported.
    expect(edges.some((e) => e.from.startsWith("runners/runtime/") && e.to.startsWith("sdk/"))).toBe(true);
  });

  test("the direct runner's layers import only downwards", () => {
    const rank = (file: string): number => {
      const folder = path.relative("runners/direct", path.dirname(file)).split(path.sep)[0] || ".";
      const r = DIRECT_LAYERS.findIndex((layer) => layer.includes(folder));
      if (r < 0) throw new Error(`runners/direct/${folder} is in no layer of DIRECT_LAYERS: add it to the layer it belongs to`);
      return r;
    };
    const upward = edges
      .filter((e) => e.from.startsWith("runners/direct/") && e.to.startsWith("runners/direct/"))
      .filter((e) => rank(e.to) > rank(e.from))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });
});

describe("the import rules catch what they forbid", () => {
  test("a cycle through run-time imports, not through type imports", () => {
    const edges = [
      { from: "a/x.ts", to: "a/y.ts", typeOnly: false },
      { from: "a/y.ts", to: "a/x.ts", typeOnly: false },
      { from: "b/p.ts", to: "b/q.ts", typeOnly: false },
      { from: "b/q.ts", to: "b/p.ts", typeOnly: true },
    ];
    expect(fileCycles(edges)).toEqual([["a/x.ts", "a/y.ts", "a/x.ts"]]);
  });

  test("two folders importing each other, even through types", () => {
    const edges = [
      { from: "a/x.ts", to: "b/y.ts", typeOnly: false },
      { from: "b/z.ts", to: "a/w.ts", typeOnly: true },
      { from: "c/u.ts", to: "a/x.ts", typeOnly: false },
    ];
    expect(foldersImportingEachOther(edges)).toEqual([["a/x.ts -> b/y.ts", "b/z.ts -> a/w.ts"]]);
  });

  test("reads static, type-only, re-exported, required and dynamically imported files", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-imports-"));
    const files: Record<string, string> = {
      "a/x.ts": 'import { y } from "./y";\nimport type { Z } from "../b/z";\nexport * from "./w";\n',
      "a/y.ts": 'export const y = () => require("./x");\n',
      "a/w.ts": 'export const w = () => import("../b/z");\n',
      "b/z.ts": 'import { type Y } from "../a/y";\nexport type Z = Y;\n',
    };
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.join(root, path.dirname(name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    const edges = importsOf(Object.keys(files), root);
    expect(new Set(edges.map((e) => `${e.from} -> ${e.to}${e.typeOnly ? " (type)" : ""}`))).toEqual(new Set([
      "a/x.ts -> a/y.ts", "a/x.ts -> b/z.ts (type)", "a/x.ts -> a/w.ts", "a/y.ts -> a/x.ts", "a/w.ts -> b/z.ts", "b/z.ts -> a/y.ts (type)",
    ]));
    expect(fileCycles(edges)).toEqual([["a/x.ts", "a/y.ts", "a/x.ts"]]);
    expect(foldersImportingEachOther(edges)).toEqual([["a/x.ts -> b/z.ts", "b/z.ts -> a/y.ts"]]);
  });
});
