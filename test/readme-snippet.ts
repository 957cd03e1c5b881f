/** The README's runnable snippets (those that start with a `// NAME.mts` line), run as a user runs them. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The checkout's root. */
export const ROOT = path.resolve(__dirname, "..");

/** The README's snippet saved as `name`. */
export function snippet(name: string): string {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = readme.split("```ts\n").find((b) => b.startsWith(`// ${name}\n`));
  if (!block) throw new Error(`the README has no snippet starting with // ${name}`);
  return block.slice(0, block.indexOf("```"));
}

/** Saves `code` as `name` in a fresh folder inside the project (so "beamline" resolves) and runs it with tsx there. */
export function runSnippet(name: string, code: string, files: Record<string, string> = {}, env: Record<string, string> = {}): { dir: string; status: number | null; out: string; err: string } {
  fs.mkdirSync(path.join(ROOT, ".cache"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, ".cache", "readme-"));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  fs.writeFileSync(path.join(dir, name), code);
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/.bin/tsx"), name], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { dir, status: r.status, out: r.stdout, err: r.stderr };
}
