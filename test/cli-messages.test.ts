/**
 * What a new user's mistakes print: each runs the `beamline` command in a child process and checks that
 * it ends with exit code 1 and a message naming the value, the rule and the fix (never exit 70, an
 * internal error with a stack trace).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

/** Runs `beamline ARGS` from `cwd`; returns its exit code and stderr. */
function beamline(args: string[], cwd = ROOT): { code: number | null; err: string; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/beamline.js"), ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

/** Expects a user error: exit 1, the code and message given, no stack trace (a line pointing at the user's own code is fine). */
function expectUserError(r: { code: number | null; err: string }, code: string, message: RegExp): void {
  expect(r.err).toContain(`error [${code}]`);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/internal error|\n\s+at (?!.*\(your code\)$)/m);
  expect(r.code).toBe(1);
}

const WORDCOUNT = path.join(ROOT, "examples/wordcount.ts");

describe("the CLI's messages for a new user's mistakes", () => {
  let dir: string;
  let input: string;
  beforeAll(() => {
    dir = tempDir();
    input = path.join(dir, "in.txt");
    fs.writeFileSync(input, "to be or not to be\n");
    fs.writeFileSync(path.join(dir, "a-file"), "not a directory\n");
  });

  test("--batch-size=0 names the flag and its least value", () => {
    expectUserError(beamline(["run", WORDCOUNT, "--batch-size=0", `--input=${input}`, `--output=${dir}/o`]), "BL_BAD_OPTION", /--batch-size: "0" — must be at least 1\. pass --batch-size=1 or more/);
  });

  test("--shards=0 names the flag, not the API's field", () => {
    const r = beamline(["run", WORDCOUNT, "--shards=0", `--input=${input}`, `--output=${dir}/o`]);
    expectUserError(r, "BL_BAD_OPTION", /--shards: "0" — must be at least 1/);
    expect(r.err).not.toContain("numShards");
  });

  test("a directory as the pipeline file says so and suggests the pipeline files in it", () => {
    expectUserError(beamline(["run", "examples"]), "BL_PIPELINE_FILE_IS_DIRECTORY", /"examples" — is a directory, not a pipeline file\. pass one of its files, e\.g\. examples\/[\w-]+\.ts/);
  });

  test("a pipeline file that is not TypeScript: by its name, or by its content", () => {
    expectUserError(beamline(["run", input]), "BL_NOT_TYPESCRIPT", /in\.txt" — a pipeline file is TypeScript or JavaScript/);
    const broken = path.join(dir, "broken.ts");
    fs.writeFileSync(broken, "export default definePipeline({\n");
    expectUserError(beamline(["run", broken]), "BL_PIPELINE_FILE_SYNTAX", /broken\.ts" — the pipeline file does not parse as TypeScript: .*broken\.ts:2:0: ERROR: .*npx tsc --noEmit/);
    const js = path.join(dir, "notes.js");
    fs.writeFileSync(js, "these are notes, not code\n");
    expectUserError(beamline(["run", js]), "BL_PIPELINE_FILE_SYNTAX", /notes\.js" — the pipeline file does not parse as TypeScript: Unexpected identifier/);
  });

  test('a window duration such as "1 minute" works, and one it cannot read is a construction error', () => {
    const ok = beamline(["run", "examples/team-scores.ts", "--window=1 minute", "--events=200", "--rate=0", "--parallelism=1"]);
    expect(ok.err).not.toMatch(/error/);
    expect(ok.code).toBe(0);
    expectUserError(beamline(["run", "examples/team-scores.ts", "--window=1 fortnight", "--events=10", "--parallelism=1"]), "BL_INVALID_WINDOW", /"1 fortnight" — fixed window size must be a positive duration/);
  });

  test("an input under a directory that cannot be listed names the path in the way (as root: a file where a directory should be)", () => {
    // Root may enter any directory, so a regular file stands on the path instead: listing its
    // "children" fails (ENOTDIR) where a user's unreadable directory fails with EACCES, in the same place.
    expectUserError(beamline(["run", WORDCOUNT, `--input=${dir}/a-file/logs/*.txt`, `--output=${dir}/o`]), "BL_IO_NOT_A_DIRECTORY", /a-file is a file, not a directory/);
  });

  test("a directory as input suggests dir/*", () => {
    expectUserError(beamline(["run", WORDCOUNT, `--input=${dir}`, `--output=${dir}/o`]), "BL_IO_NO_MATCH", new RegExp(`is a directory, and a pattern names files\\. to read every file in it, pass "${dir}/\\*"`));
  });

  test("an output under a regular file names the file in the way, not EEXIST", () => {
    const r = beamline(["run", WORDCOUNT, `--input=${input}`, `--output=${dir}/a-file/counts`]);
    expectUserError(r, "BL_IO_NOT_A_DIRECTORY", /a-file is a file, not a directory\. move or rename the file/);
    expect(r.err).not.toMatch(/EEXIST/);
  });

  test("--output=DIR/ is refused with the name it would have written", () => {
    const out = path.join(dir, "out-dir");
    expectUserError(beamline(["run", WORDCOUNT, `--input=${input}`, `--output=${out}/`]), "BL_IO_BAD_OPTION", /files would be named -00000-of-00001\.txt .* e\.g\. ".*out-dir\/part" writes .*out-dir\/part-00000-of-00001\.txt/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test("an unknown option suggests the nearest one", () => {
    expectUserError(beamline(["run", WORDCOUNT, "--inptu=x"]), "BL_UNKNOWN_OPTION", /"--inptu" — is not an option of this runner or pipeline\. did you mean --input\? use one of/);
    expectUserError(beamline(["run", WORDCOUNT, "--paralelism=2"]), "BL_UNKNOWN_OPTION", /did you mean --parallelism\?/);
    // Nothing close: no guess.
    expect(beamline(["run", WORDCOUNT, "--zzz=1"]).err).not.toContain("did you mean");
  });

  test("a malformed --inject-faults names the value, the rule SEED:COUNT and an example", () => {
    for (const bad of ["42", "x:3", "42:0", "4.2:3", "-1:3"]) {
      expectUserError(
        beamline(["run", WORDCOUNT, `--inject-faults=${bad}`, `--input=${input}`, `--output=${dir}/o`]),
        "BL_BAD_INJECT_FAULTS",
        new RegExp(`--inject-faults: "${bad}" — --inject-faults takes SEED:COUNT, two integers: .* pass e\\.g\\. --inject-faults=42:20`),
      );
    }
    expect(beamline(["run", WORDCOUNT, "--help"]).out).toMatch(/--inject-faults=<string>\s+direct, soak runs: inject COUNT faults of seed SEED's plan/);
  });

  test("help prints no empty default", () => {
    const r = beamline(["run", WORDCOUNT, "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--job-endpoint=<string>/);
    expect(r.out).not.toContain("(default: )");
  });
});
