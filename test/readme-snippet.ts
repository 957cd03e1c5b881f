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

/**
 * The commands of the README's shell block whose first line is `# NAME`: its lines without comments,
 * blank lines, and the lines that start a service or export its address (a test starts its own
 * service and passes the address in the environment).
 */
export function shellSnippet(name: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = readme.split("```sh\n").find((b) => b.startsWith(`# ${name}\n`));
  if (!block) throw new Error(`the README has no shell block starting with # ${name}`);
  return block
    .slice(0, block.indexOf("```"))
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#") && !line.startsWith("npx tsx scripts/services.ts") && !line.startsWith("export "));
}

/**
 * Runs shell commands one after the other in the checkout with bash, stopping at the first that fails;
 * `/tmp/` in them becomes `tmp`. The environment is this process's with `env` over it (an undefined
 * value removes a variable, so that a command runs as a user's would without it).
 */
export function runShellCommands(commands: readonly string[], env: Record<string, string | undefined>, tmp: string, timeoutMs = 120_000): { status: number | null; out: string; err: string; command: string } {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  let last = { status: 0 as number | null, out: "", err: "", command: "" };
  for (const line of commands) {
    const command = line.split("/tmp/").join(`${tmp.replace(/\/+$/, "")}/`);
    const r = spawnSync("bash", ["-c", command], { cwd: ROOT, encoding: "utf8", timeout: timeoutMs, env: merged });
    last = { status: r.status, out: r.stdout, err: r.stderr, command };
    if (r.status !== 0) break;
  }
  return last;
}
