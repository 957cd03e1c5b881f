/**
 * One run per checkpoint directory: a second run on a directory in use is refused with the holder
 * and how to break a stale lock; the lock goes when the run ends; a lock left by a process that is
 * gone (kill -9) is taken over.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { LOCK_FILE } from "../../../../runners/direct/checkpoint/dir-lock";
import { tempDir } from "../../../helpers";
import { endlessCounts, numbers } from "../parallel/pipelines";

const run = (dir: string, signal?: AbortSignal) =>
  new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 50 }, ...(signal ? { signal } : {}) }).run(buildPipeline(endlessCounts, { output: path.join(tempDir(), "out") }));

describe("the checkpoint directory's lock", () => {
  test("a second run on a directory in use is refused, naming the holder and how to break a stale lock; once the first ends, the directory is free", async () => {
    const dir = tempDir();
    const abort = new AbortController();
    const first = run(dir, abort.signal).catch((e: unknown) => e);
    const err = await run(dir).catch((e: unknown) => e);
    abort.abort();
    expect(((await first) as BeamlineError).code).toBe("BL_CANCELLED");
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_CHECKPOINT_DIR_LOCKED");
    expect((err as BeamlineError).value).toMatchObject({ pid: process.pid });
    expect((err as Error).message).toContain(`If no such run is alive (it ran on another host, or its process is gone), delete ${path.join(dir, LOCK_FILE)}`);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const r = await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 50 } }).run(buildPipeline(numbers, {}));
    expect(r.state).toBe("DONE");
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  }, 30_000);

  test("a lock whose process is gone is taken over; one held on another host is not", async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(gone.stdout);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), startedAt: new Date().toISOString() }));
    await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 50 } }).run(buildPipeline(numbers, {}));
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: "elsewhere.example", startedAt: new Date().toISOString() }));
    const err = await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 50 } }).run(buildPipeline(numbers, {})).catch((e: unknown) => e);
    expect((err as BeamlineError).code).toBe("BL_CHECKPOINT_DIR_LOCKED");
    expect((err as BeamlineError).value).toMatchObject({ host: "elsewhere.example" });
  });
});
