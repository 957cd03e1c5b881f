/**
 * File sinks through the direct runner's recovery: a resume after a consumer took the published files,
 * and the staging directories killed attempts leave next to the output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DirectRunner, Pipeline, readText, writeText } from "beamline";
import { CheckpointStore } from "../../../runners/direct/checkpoint/store";
import { STAGING_PREFIX } from "../../../transforms/io/files";
import { startCli } from "../../runners/direct/checkpoint/children";
import { outputLines } from "../../runners/direct/parallel/files";
import { listFiles, tmpDir, writeLines } from "./helpers";

const COPY = path.join(__dirname, "..", "..", "runners", "direct", "checkpoint", "pass-through.ts");

/** The staging directories in `dir`. */
function staging(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(STAGING_PREFIX)) : [];
}

describe("file sinks through --resume", () => {
  test("a resume after a consumer moved or deleted what the run published succeeds and publishes nothing twice", async () => {
    const d = tmpDir();
    const input = path.join(d, "in.txt");
    const lines = writeLines(input, 5000);
    const build = () => {
      const p = new Pipeline();
      p.apply("Read", readText(input)).apply("Write", writeText(path.join(d, "out", "copy"), { numShards: 2 }));
      return p;
    };
    const dir = path.join(d, "chk");
    await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 20 } }).run(build());
    expect(outputLines(path.join(d, "out"), "copy")).toEqual(lines);
    fs.renameSync(path.join(d, "out"), path.join(d, "consumed")); // the consumer takes everything
    // The restored checkpoint's commit happened already: done is done, however often it is resumed.
    for (let i = 0; i < 2; i++) await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 20, resume: true } }).run(build());
    expect(listFiles(d).filter((f) => f.startsWith("out/"))).toEqual([]);
    expect(outputLines(path.join(d, "consumed"), "copy")).toEqual(lines);
  }, 30_000);

  test("killed after the restored checkpoint was published, resumed after a consumer took its files: every line exactly once between the two", async () => {
    const root = tmpDir();
    const input = path.join(root, "in.txt");
    const lines = writeLines(input, 300_000);
    // Killed when checkpoint k's state is written: the resume restores checkpoint k - 1, whose commit
    // published its files before the kill when it covered any rows (k grows until one did).
    for (let k = 2; k <= 8; k++) {
      const out = path.join(root, `out-${k}`);
      const dir = path.join(root, `chk-${k}`);
      const args = [`--input=${input}`, `--output=${path.join(out, "copy")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=50", "--parallelism=2"];
      const killed = await startCli(COPY, args, { BEAMLINE_FAULT: `checkpoint-files:${k}` }).exit;
      expect(killed.signal).toBe("SIGKILL");
      const restores = new CheckpointStore(dir).completed().at(-1)!.id;
      const published = fs.readdirSync(out).filter((f) => f.startsWith(`copy-chk${String(restores).padStart(5, "0")}-`));
      if (published.length === 0) continue;
      const taken = path.join(root, `taken-${k}`);
      fs.mkdirSync(taken);
      for (const f of fs.readdirSync(out).filter((n) => n.startsWith("copy-"))) fs.renameSync(path.join(out, f), path.join(taken, f)); // a consumer takes them
      // The resume commits checkpoint k - 1 again: done already, so nothing fails and nothing is published twice.
      const resumed = await startCli(COPY, [...args, "--resume"]).exit;
      expect(resumed.err).not.toMatch(/BL_IO/);
      expect(resumed.code).toBe(0);
      expect(fs.readdirSync(out).filter((f) => published.includes(f))).toEqual([]);
      expect([...outputLines(taken, "copy"), ...outputLines(out, "copy")].sort()).toEqual(lines);
      expect(staging(out)).toEqual([]);
      return;
    }
    throw new Error("no kill came after a checkpoint that published files");
  }, 120_000);

  test("staging directories of attempts killed before any checkpoint are removed by the resume, which publishes every line once", async () => {
    const root = tmpDir();
    const input = path.join(root, "in.txt");
    const lines = writeLines(input, 40_000);
    const out = path.join(root, "out");
    const dir = path.join(root, "chk");
    // Checkpoint 1 is the run's last (the copy takes less than the interval): its barrier prepares every line.
    const args = [`--input=${input}`, `--output=${path.join(out, "copy")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=60000", "--parallelism=2"];
    // Killed twice when checkpoint 1's state is written but not its manifest: nothing to restore, files staged.
    for (let kill = 0; kill < 2; kill++) {
      const killed = await startCli(COPY, [...args, ...(kill > 0 ? ["--resume"] : [])], { BEAMLINE_FAULT: "checkpoint-files:1" }).exit;
      expect(killed.signal).toBe("SIGKILL");
      expect(staging(out).length).toBe(2); // one file per shard, staged by the attempt just killed
    }
    const resumed = await startCli(COPY, [...args, "--resume"]).exit;
    expect(resumed.code).toBe(0);
    expect(staging(out)).toEqual([]);
    expect(outputLines(out, "copy")).toEqual(lines);
  }, 60_000);
});
