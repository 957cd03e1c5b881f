/**
 * The two-phase sink contract through checkpointed runs killed with `kill -9` (at the fault points of
 * `runners/direct/faults/fault-points.ts`) and resumed: what a completed checkpoint prepared is
 * published exactly once, what was staged after it never appears, and the runner does this for a
 * sink written against the contract alone as for the file sinks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointStore, MANIFEST } from "../../../../runners/direct/checkpoint/store";
import { STAGING_PREFIX } from "../../../../transforms/io/files";
import { tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { startCli } from "./children";
import { preparedDir, readLedger } from "./ledger-sink";

const COPY = path.join(__dirname, "pass-through.ts");
const LEDGER = path.join(__dirname, "ledger-sink.ts");

/** Writes `n` distinct input lines; returns them sorted. */
function writeLines(file: string, n: number): string[] {
  const lines = Array.from({ length: n }, (_, i) => `line-${String(i).padStart(6, "0")}`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return lines.sort();
}

/** The staging directories next to the output in `dir`. */
function staging(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(STAGING_PREFIX)).sort() : [];
}

/** The published output files in `dir`. */
function published(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith("copy")).sort() : [];
}

describe("two-phase sinks through kill -9 and --resume", () => {
  const root = tempDir("beamline-sink-recovery-");
  const input = path.join(root, "input.txt");
  let lines: string[] = [];

  beforeAll(() => {
    lines = writeLines(input, 40_000);
  });

  test("killed after a checkpoint's manifest, before its sink committed: the resumed run publishes every line exactly once", async () => {
    const out = path.join(root, "after-manifest");
    const dir = path.join(root, "chk-after-manifest");
    const args = [`--input=${input}`, `--output=${path.join(out, "copy")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=20"];
    // The first commit of the run: its checkpoint is complete, nothing was ever published.
    const killed = await startCli(COPY, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "sink-commit:1" }).exit;
    expect(killed.signal).toBe("SIGKILL");
    const store = new CheckpointStore(dir);
    expect(store.completed().length).toBeGreaterThan(0);
    expect(published(out)).toEqual([]);
    expect(staging(out).length).toBeGreaterThan(0); // what the checkpoint prepared waits in staging

    const resumed = await startCli(COPY, [...args, "--parallelism=2", "--resume"]).exit;
    expect(resumed.code).toBe(0);
    expect(outputLines(out, "copy")).toEqual(lines);
    expect(staging(out)).toEqual([]);
  }, 60_000);

  test("output staged after the restored checkpoint is aborted on resume and never appears", async () => {
    const out = path.join(root, "stray");
    const dir = path.join(root, "chk-stray");
    const prefix = path.join(out, "copy");
    const args = [`--input=${input}`, `--output=${prefix}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=20"];
    // Killed when checkpoint 2's state is written but not its manifest: the restore is checkpoint 1,
    // and what the sink prepared at barrier 2 or was writing after it lies in staging.
    const killed = await startCli(COPY, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "checkpoint-files:2" }).exit;
    expect(killed.signal).toBe("SIGKILL");
    const store = new CheckpointStore(dir);
    expect(fs.existsSync(path.join(store.pathOf(2), MANIFEST))).toBe(false);
    // A writer's file the crash cut short, as the sink names its staging in this run: rows no checkpoint covers.
    const run = staging(out)[0].replace(/[^-]+$/, ""); // `.beamline-staging-<sink>-<run>-`
    const stray = fs.mkdtempSync(path.join(out, run));
    fs.writeFileSync(path.join(stray, "copy-00000-of-00002.txt"), "stray-1\nstray-2\n");
    const before = staging(out);
    expect(before).toContain(path.basename(stray));

    const resumed = await startCli(COPY, [...args, "--parallelism=3", "--resume"]).exit;
    expect(resumed.code).toBe(0);
    expect(fs.existsSync(stray)).toBe(false);
    expect(staging(out)).toEqual([]);
    expect(outputLines(out, "copy")).toEqual(lines); // no stray line, nothing twice
    expect(published(out).some((f) => f.includes("-chk00002-"))).toBe(false); // checkpoint 2 never completed
  }, 60_000);

  test("a sink written against the contract alone (not a file sink) is recovered the same way: exactly once, nothing lingering", async () => {
    const ledger = path.join(root, "ledger");
    const dir = path.join(root, "chk-ledger");
    const args = [`--input=${input}`, `--ledger=${ledger}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=20"];
    const killed = await startCli(LEDGER, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "sink-commit:1" }).exit;
    expect(killed.signal).toBe("SIGKILL");
    expect(readLedger(ledger).applied).toEqual({});
    expect(fs.readdirSync(preparedDir(ledger)).length).toBeGreaterThan(0);
    // A transaction prepared after the restored checkpoint (the kill cut the run short before it completed).
    fs.writeFileSync(path.join(preparedDir(ledger), "999-0.json"), JSON.stringify(["stray"]));

    const resumed = await startCli(LEDGER, [...args, "--parallelism=2", "--resume"]).exit;
    expect(resumed.code).toBe(0);
    const applied = readLedger(ledger).applied;
    expect(Object.values(applied).flat().sort()).toEqual(lines);
    expect(fs.readdirSync(preparedDir(ledger))).toEqual([]);

    // The same fault-free, and without checkpoints: the same rows, in one transaction.
    const straight = path.join(root, "ledger-straight");
    const plain = await startCli(LEDGER, [`--input=${input}`, `--ledger=${straight}`, "--parallelism=2"]).exit;
    expect(plain.code).toBe(0);
    expect(Object.keys(readLedger(straight).applied)).toEqual(["end-0"]);
    expect(Object.values(readLedger(straight).applied).flat().sort()).toEqual(lines);
  }, 60_000);
});
