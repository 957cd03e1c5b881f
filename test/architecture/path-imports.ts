/**
 * Which names a file imports by relative path although `beamline` (index.ts) exports them: read with
 * the TypeScript compiler, so a name re-exported through another module counts as the same name.
 */
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "./imports";

/** One name imported by relative path that index.ts also exports. */
export interface PathImport {
  /** The importing file, relative to the root. */
  readonly file: string;
  /** The module specifier as written (`../../sdk/pipeline`). */
  readonly from: string;
  /** The name as written in the import (`Pipeline`, or `X` of `X as Y`). */
  readonly name: string;
  /** The name index.ts exports it under. */
  readonly publicName: string;
  /** Whether the import is type-only (`import type { … }` or `type X`). */
  readonly typeOnly: boolean;
  /** The import declaration (or, for `ns.name` of a namespace import, that import). */
  readonly declaration: ts.ImportDeclaration;
}

/** The compiler options the checks use (those of tsconfig.json that matter for resolving imports). */
export const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2022,
  strict: true, noEmit: true, baseUrl: ROOT, paths: { beamline: ["index.ts"] }, esModuleInterop: true, types: [],
};

function target(checker: ts.TypeChecker, s: ts.Symbol): ts.Symbol {
  return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

/** The symbols index.ts exports, each with the name it exports it under. */
export function publicSymbols(program: ts.Program, indexFile: string = path.join(ROOT, "index.ts")): Map<ts.Symbol, string> {
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(indexFile)!)!;
  return new Map(checker.getExportsOfModule(module).map((e) => [target(checker, e), e.name]));
}

/** The names `files` (absolute paths in `program`) import by relative path that index.ts exports. */
export function pathImportsOfPublicNames(program: ts.Program, files: readonly string[], root: string = ROOT): PathImport[] {
  const checker = program.getTypeChecker();
  const api = publicSymbols(program, path.join(root, "index.ts"));
  const out: PathImport[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (source === undefined) throw new Error(`${file} is not in the program`);
    const rel = path.relative(root, file);
    const namespaces = new Map<ts.Symbol, ts.ImportDeclaration>();
    for (const st of source.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.moduleSpecifier.text.startsWith(".")) continue;
      const bindings = st.importClause?.namedBindings;
      const from = st.moduleSpecifier.text;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
        namespaces.set(checker.getSymbolAtLocation(bindings.name)!, st);
        continue;
      }
      for (const el of bindings?.elements ?? []) {
        const s = checker.getSymbolAtLocation(el.name);
        const publicName = s === undefined ? undefined : api.get(target(checker, s));
        if (publicName === undefined) continue;
        const name = (el.propertyName ?? el.name).text;
        out.push({ file: rel, from, name, publicName, typeOnly: st.importClause!.isTypeOnly || el.isTypeOnly, declaration: st });
      }
    }
    if (namespaces.size === 0) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) || ts.isQualifiedName(n)) {
        const left = ts.isPropertyAccessExpression(n) ? n.expression : n.left;
        const right = ts.isPropertyAccessExpression(n) ? n.name : n.right;
        const ns = ts.isIdentifier(left) ? checker.getSymbolAtLocation(left) : undefined;
        const declaration = ns === undefined ? undefined : namespaces.get(ns);
        const s = declaration === undefined ? undefined : checker.getSymbolAtLocation(right);
        const publicName = s === undefined ? undefined : api.get(target(checker, s));
        if (declaration !== undefined && publicName !== undefined) {
          const from = (declaration.moduleSpecifier as ts.StringLiteral).text;
          out.push({ file: rel, from, name: right.text, publicName, typeOnly: ts.isQualifiedName(n), declaration });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return out;
}
