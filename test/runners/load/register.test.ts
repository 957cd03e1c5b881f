/**
 * How `beamline` loads TypeScript (runners/load/register.js): Beamline's own modules compiled without
 * tsx's keepNames, so the closures they make per key or element stay fast-property objects rather than
 * dictionary-mode ones with a `name` property each; users' files still load through tsx.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../../helpers";

const ROOT = path.join(__dirname, "../../..");
const REGISTER = path.join(ROOT, "runners/load/register.js");

/** Runs `script` (a user's TypeScript file) in a node loading TypeScript as `beamline` does; returns its stdout. */
function runUserFile(script: string, loader: string[] = ["--require", REGISTER]): string {
  const file = path.join(tempDir(), "user.ts");
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, ["--allow-natives-syntax", ...loader, file], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A user's file that makes a map-state cell (its methods closures made per cell) with Beamline's runtime and says whether they are fast-property objects. */
const CELLS = `
import { stateCells } from ${JSON.stringify(path.join(ROOT, "runners/runtime/state/cells"))};
import { state } from "beamline";
const handles = stateCells({ m: state.map<string, number>() }, () => ({ read: () => [], append() {}, replace() {} })) as any;
const fast = new Function("f", "return %HasFastProperties(f)");
const userClosure = ((x: number) => ({ f: () => x }))(1).f;
console.log(JSON.stringify({ own: fast(handles.m.keys), name: handles.m.keys.name, user: typeof userClosure }));
`;

test("Beamline's own closures are fast-property objects and keep their names; a user's TypeScript file still loads", () => {
  expect(JSON.parse(runUserFile(CELLS))).toEqual({ own: true, name: "keys", user: "function" });
});

test("through tsx alone the same closure is a dictionary-mode object (what the loader avoids)", () => {
  expect(JSON.parse(runUserFile(CELLS, ["--require", "tsx/cjs"])).own).toBe(false);
});

test("`node --require beamline/register` loads a user's script that imports beamline", () => {
  expect(runUserFile(`import { runPipeline } from "beamline";\nconsole.log(typeof runPipeline);\n`, ["--require", "beamline/register"])).toBe("function");
});
