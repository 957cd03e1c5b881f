/**
 * PROCESS environments on Prism: Prism starts Beamline's boot command per worker (with its `--id`
 * quoted), the worker registers and the job finishes with the direct runner's output; a worker the
 * runner rejects ends the run at once with the worker's own error, instead of a job waiting for ever.
 * EXTERNAL environments on a standalone `beamline worker-pool`, whose workers are processes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../runners/cli";
import { tempDir, until } from "../helpers";
import { startNode } from "../runners/direct/checkpoint/children";
import { outputLines } from "./pipelines";
import { describeWithPrism } from "./services";

const WORDCOUNT = path.join(__dirname, "../../examples/wordcount.ts");
const BOOT = path.join(__dirname, "../../runners/portable/boot.js");
const BEAMLINE = path.join(__dirname, "../../bin/beamline.js");
const INPUT = path.join(__dirname, "../../examples/data/*.txt");

/** Runs the command line, collecting what it writes to stderr. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(["run", WORDCOUNT, ...args], { out: () => {}, err: (t) => err.push(t) });
  return { code, err: err.join("\n") };
}

describeWithPrism("Prism: PROCESS environments", (prism) => {
  test("Prism starts Beamline's boot command, whose worker registers; the wordcount is the direct runner's", async () => {
    const direct = tempDir();
    expect((await cli([`--output=${path.join(direct, "counts")}`])).code).toBe(0);
    const dir = tempDir();
    const r = await cli(["--runner=prism", `--job-endpoint=${prism().jobEndpoint}`, "--environment-type=PROCESS", `--output=${path.join(dir, "counts")}`]);
    expect(r.err).toContain("done on the prism runner");
    expect(r.code).toBe(0);
    expect(outputLines(dir, "counts")).toEqual(outputLines(direct, "counts"));
    expect(outputLines(dir, "counts").length).toBeGreaterThan(0);
  }, 120_000);

  test("a worker the runner rejects ends the run with the worker's error, within seconds", async () => {
    // A boot command that answers to another worker id than the one Prism registered.
    const wrapper = path.join(tempDir(), "boot-as-nobody.sh");
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${BOOT}" --id=nobody "$2"\n`, { mode: 0o755 });
    const started = Date.now();
    const r = await cli(["--runner=prism", `--job-endpoint=${prism().jobEndpoint}`, "--environment-type=PROCESS", `--environment-config=${wrapper}`, `--output=${path.join(tempDir(), "counts")}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("BL_WORKER_FAILED");
    expect(r.err).toContain("nobody");
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  test("an EXTERNAL environment on `beamline worker-pool`: the pool starts a worker process per StartWorker, the wordcount is the direct runner's, and SIGTERM stops the pool", async () => {
    const direct = tempDir();
    expect((await cli([`--input=${INPUT}`, `--output=${path.join(direct, "counts")}`])).code).toBe(0);
    // The pool runs elsewhere (here: another directory), so its workers get the input by its absolute path.
    const pool = startNode([BEAMLINE, "worker-pool", "--port=0"]);
    let err = "";
    pool.process.stderr!.on("data", (d) => (err += d));
    try {
      const address = await until(async () => /worker pool at (\S+);/.exec(err)?.[1], 30_000, "the worker pool's address");
      const dir = tempDir();
      const r = await cli(["--runner=prism", `--job-endpoint=${prism().jobEndpoint}`, "--environment-type=EXTERNAL", `--environment-config=${address}`, `--input=${INPUT}`, `--output=${path.join(dir, "counts")}`]);
      expect(r.err).toContain("done on the prism runner");
      expect(r.code).toBe(0);
      expect(outputLines(dir, "counts")).toEqual(outputLines(direct, "counts"));
      expect(err).toMatch(/beamline: worker \S+ started/);
    } finally {
      pool.process.kill("SIGTERM");
    }
    const exit = await pool.exit;
    expect(exit.code).toBe(0);
    expect(exit.err).toMatch(/worker pool stopped/);
  }, 120_000);
});
