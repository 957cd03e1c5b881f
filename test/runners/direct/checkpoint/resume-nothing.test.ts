/**
 * `--resume` with nothing to resume: a directory that does not exist is an error (a mistyped path
 * must not start the run over); one with no completed checkpoint starts from the beginning, saying so
 * and why that is safe (no run using it committed anything).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import type { RunEvent } from "../../../../runners/direct/contract/run-events";
import { formatRunEvent } from "../../../../runners/direct/run-event-lines";
import { tempDir } from "../../../helpers";
import { numbers } from "../parallel/pipelines";

const resume = (dir: string, events: RunEvent[] = []) =>
  new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 50, resume: true }, onEvent: (e) => void events.push(e) }).run(buildPipeline(numbers, {}));

describe("--resume with nothing to resume", () => {
  test("a checkpoint directory that does not exist is an error, and is not created", async () => {
    const dir = path.join(tempDir(), "typo");
    const err = await resume(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_RESUME_NO_CHECKPOINT_DIR");
    expect((err as Error).message).toContain("leave out --resume to start a new run");
    expect(fs.existsSync(dir)).toBe(false);
  });

  test("an empty directory, or one whose run stopped before its first checkpoint: the run starts from the beginning and says why", async () => {
    const empty = tempDir();
    const events: RunEvent[] = [];
    expect((await resume(empty, events)).checkpoints?.restoredFrom).toBeNull();
    expect(events.map(formatRunEvent)).toEqual([`--resume: no completed checkpoint: the directory is empty: no run has used it; the run starts from the beginning (${empty})`]);

    const stopped = tempDir();
    fs.mkdirSync(path.join(stopped, "chk-1")); // begun, never completed
    const later: RunEvent[] = [];
    await resume(stopped, later);
    expect(later.map(formatRunEvent)).toEqual([
      `--resume: no completed checkpoint: the run that used the directory stopped before its first checkpoint completed (it committed nothing); the run starts from the beginning (${stopped})`,
    ]);
  });
});
