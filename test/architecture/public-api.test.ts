/**
 * The public API is what index.ts lists, read with the TypeScript compiler: no internal is exported,
 * and every exported declaration carries a TSDoc comment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "./imports";

/** Internals that must never be public, by name. */
const INTERNAL_NAMES = [
  "ParDoInvoker", "takeData", "takeRecordBatch", "MetricsCell", "withMetricsContainer", "wrapUserError", "columnar", "ParDo",
  "defaultOperators", "payloadOf", "PARDO_URN", "READ_URN", "fingerprint", "canonicalJson", "schemaToJson", "typeToJson", "makeRecordBatch",
];

/** Files and folders whose declarations are internal, whatever their name. */
const INTERNAL_PLACES = [
  "sdk/graph.ts", "sdk/payload.ts", "sdk/invoker.ts", "sdk/arrow-type.ts", "sdk/columns/",
  "runners/direct/data/", "runners/direct/faults/", "runners/direct/contract/", "runners/direct/state/", "runners/direct/precombine/",
  "runners/direct/panes/", "runners/direct/operators/", "runners/direct/plan/", "runners/direct/execution/", "runners/direct/checkpoint/",
  "runners/direct/parallel/", "runners/portable/",
];

interface Exported {
  readonly name: string;
  readonly file: string;
  readonly declarations: readonly ts.Declaration[];
}

function publicApi(): Exported[] {
  const index = path.join(ROOT, "index.ts");
  const program = ts.createProgram([index], { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(module).map((e) => {
    const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    const declarations = target.declarations ?? [];
    return { name: e.name, file: path.relative(ROOT, declarations[0]?.getSourceFile().fileName ?? "?"), declarations };
  });
}

/** The TSDoc text and tags above a declaration (a variable's sit on its statement). */
function docOf(d: ts.Declaration): readonly (ts.JSDoc | ts.JSDocTag)[] {
  return ts.getJSDocCommentsAndTags(d).filter((j) => {
    const text = ts.isJSDoc(j) ? ts.getTextOfJSDocComment(j.comment) : ts.getTextOfJSDocComment(j.comment);
    return (text ?? "").trim().length > 0;
  });
}

function isInternal(d: ts.Declaration): boolean {
  return ts.getJSDocTags(d).some((t) => t.tagName.text === "internal");
}

describe("the public API (index.ts)", () => {
  const api = publicApi();

  test("lists what users import, one by one", () => {
    // A reader that found nothing would pass every check below.
    expect(api.length).toBeGreaterThan(150);
    for (const name of ["Pipeline", "PCollection", "runPipeline", "Runner", "DirectRunner", "schema", "t", "assertThat", "testStream", "BeamlineError", "definePipeline", "metrics", "windowInto", "afterWatermark", "state", "timer", "expectSameOutputUnderFaults", "TransientError"]) {
      expect(api.map((e) => e.name)).toContain(name);
    }
  });

  test("exports no internal", () => {
    const leaked = api
      .filter((e) => INTERNAL_NAMES.includes(e.name) || INTERNAL_PLACES.some((p) => e.file.startsWith(p)) || e.declarations.some(isInternal))
      .map((e) => `${e.name} (${e.file})`);
    expect(leaked).toEqual([]);
  });

  test("documents every exported declaration with a TSDoc comment", () => {
    const undocumented = api.filter((e) => !e.declarations.some((d) => docOf(d).length > 0)).map((e) => `${e.name} (${e.file})`);
    expect(undocumented).toEqual([]);
  });

  test("has every name the README's snippets import from beamline", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const imported = [...readme.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"beamline"/g)].flatMap((m) =>
      m[1].split(",").map((n) => n.replace(/^\s*type\s+/, "").split(/\s+as\s+/)[0].trim()).filter((n) => n.length > 0),
    );
    expect(imported.length).toBeGreaterThan(20);
    const names = new Set(api.map((e) => e.name));
    expect(imported.filter((n) => !names.has(n))).toEqual([]);
  });
});
