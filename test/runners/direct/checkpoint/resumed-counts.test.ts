/**
 * The counts a resumed run reports cover the whole run, not only the part after the checkpoint: the
 * checkpoint keeps what the run had counted up to its barrier, and the resumed run counts on from it.
 */
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { tempDir } from "../../../helpers";
import { startCli } from "./children";
import { writeRows } from "./inputs";
import { checkpointGolden } from "./pipelines";

const FILE = path.join(__dirname, "windowed-golden.ts");

const rowsMoved = (err: string) => Number(/(\d+) rows moved/.exec(err)?.[1]);

describe("counts after --resume", () => {
  test("killed after a checkpoint and resumed at another parallelism: the rows moved equal a run that never failed", async () => {
    const root = tempDir("beamline-counts-");
    const input = path.join(root, "input.txt");
    writeRows(input, 30_000);
    // A checkpointed run that never failed (the files a checkpointed sink publishes after the run's last step are not counted).
    const straight = await new DirectRunner({ parallelism: 1, checkpoint: { dir: path.join(root, "cp-straight"), intervalMs: 30 } }).run(
      buildPipeline(checkpointGolden, { input, output: path.join(root, "straight", "out") }),
    );
    const total = [...straight.metrics.rowsOut.values()].reduce((a, b) => a + b, 0);
    const args = [`--input=${input}`, `--output=${path.join(root, "killed", "out")}`, `--checkpoint-dir=${path.join(root, "cp")}`, "--checkpoint-interval=30"];
    const killed = await startCli(FILE, [...args, "--parallelism=2"], { BEAMLINE_FAULT: "checkpoint-complete:2" }).exit;
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await startCli(FILE, [...args, "--parallelism=1", "--resume"]).exit;
    expect(resumed.err).toMatch(/resumed from checkpoint 2/);
    expect(rowsMoved(resumed.err)).toBe(total);
  }, 60_000);
});
