import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../runners/cli";
import { tempDir } from "./helpers";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe("beamline CLI", () => {
  test("--help lists the runner's and the pipeline's options", async () => {
    const r = await runCli(["run", "examples/wordcount.ts", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--runner=<direct|flink|prism|portable|dataflow>");
    expect(r.out).toContain("--input=<string>");
    expect(r.out).toContain("--output=<string>");
    expect(r.out).toContain("Counts the words");
  });

  test("unknown options are refused with the known ones", async () => {
    const r = await runCli(["run", "examples/wordcount.ts", "--inptu=x"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[BL_UNKNOWN_OPTION\]: "--inptu" — is not an option.*--input.*--output.*--runner/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("a bad option value, a missing pipeline file and a missing input each fail clearly", async () => {
    const dir = tempDir();
    const bad = await runCli(["run", "examples/wordcount.ts", "--shards=many"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--shards: "many" — must be an integer/);
    const nofile = await runCli(["run", "examples/nope.ts"]);
    expect(nofile.code).toBe(1);
    expect(nofile.err).toMatch(/examples\/nope.ts.*no such pipeline file/);
    const noinput = await runCli(["run", "examples/wordcount.ts", `--input=${dir}/missing/*.txt`, `--output=${dir}/o`]);
    expect(noinput.code).toBe(1);
    expect(noinput.err).toMatch(/matched no file/);
    expect(noinput.err).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("the beamline command runs wordcount from a TypeScript file", () => {
    const dir = tempDir();
    const prefix = path.join(dir, "wc");
    const r = spawnSync(process.execPath, ["bin/beamline.js", "run", "examples/wordcount.ts", `--output=${prefix}`], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/done on the direct runner/);
    const text = fs.readFileSync(`${prefix}-00000-of-00001.txt`, "utf8");
    expect(text).toMatch(/^the: \d+$/m);
    const usage = spawnSync(process.execPath, ["bin/beamline.js", "frobnicate"], { encoding: "utf8" });
    expect(usage.status).toBe(1);
    expect(usage.stderr).toMatch(/"frobnicate" — is not a beamline command/);
  });

  test("the beamline command reaches the portable runners (loaded only when asked for)", () => {
    // Without a job endpoint the portable runner names the fix; a failed lazy load would be an internal error.
    const r = spawnSync(process.execPath, ["bin/beamline.js", "run", "examples/wordcount.ts", "--runner=portable"], { encoding: "utf8" });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/error \[BL_NO_JOB_ENDPOINT\]/);
    expect(r.status).toBe(1);
  });
});
