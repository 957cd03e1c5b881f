/**
 * One run per checkpoint directory: a run takes the directory's lock file (created exclusively, with
 * its process id, host and start time) before it reads or writes checkpoints, and removes it when it
 * ends. Two runs on one directory would mix their checkpoints and the output their sinks commit. A lock
 * whose process is gone (same host, no such pid: a run killed with `kill -9`) is stale and taken over.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError, IOError } from "../../../sdk/errors";

/** The lock file's name inside a checkpoint directory. */
export const LOCK_FILE = ".beamline.lock";

/** What a lock file records. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the run took the lock (ISO 8601). */
  readonly startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // it exists, as another user's
  }
}

/** The holder a lock file names, or null when it cannot be read (being written, or torn). */
function holderOf(file: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
    return typeof h.pid === "number" && typeof h.host === "string" ? h : null;
  } catch {
    return null;
  }
}

/** A torn lock file (its writer died between creating and writing it) older than this is stale. */
const TORN_STALE_MS = 10_000;

function stale(file: string, holder: LockHolder | null): boolean {
  if (holder) return holder.host === os.hostname() && !alive(holder.pid);
  try {
    return Date.now() - fs.statSync(file).mtimeMs > TORN_STALE_MS;
  } catch {
    return true; // gone meanwhile
  }
}

/** The lock a run holds on its checkpoint directory. */
export class DirectoryLock {
  private constructor(
    readonly file: string,
    private readonly holder: LockHolder,
  ) {}

  /** Takes the lock of checkpoint directory `dir`, taking over a stale one; refuses one held by a live run. */
  static acquire(dir: string): DirectoryLock {
    const file = path.join(dir, LOCK_FILE);
    const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(holder), { flag: "wx" });
        return new DirectoryLock(file, holder);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "EEXIST") {
          throw new IOError({
            code: "BL_CHECKPOINT_DIR",
            where: dir,
            value: code ?? String(e),
            rule: `the checkpoint directory is not writable: ${(e as Error).message}`,
            fix: "make it writable by this user, or pass another --checkpoint-dir",
            cause: e,
          });
        }
        const other = holderOf(file);
        if (attempt === 0 && stale(file, other)) {
          fs.rmSync(file, { force: true });
          continue;
        }
        throw new BeamlineError({
          code: "BL_CHECKPOINT_DIR_LOCKED",
          where: dir,
          value: other ?? "an unreadable lock file",
          rule: "another run uses this checkpoint directory; two runs on one directory would mix their checkpoints and their output",
          fix: `wait for that run to end, or pass another --checkpoint-dir. If no such run is alive (it ran on another host, or its process is gone), delete ${file}`,
        });
      }
    }
  }

  /** Gives the lock up (unless someone broke it and took it meanwhile). */
  release(): void {
    const now = holderOf(this.file);
    if (now && now.pid === this.holder.pid && now.host === this.holder.host && now.startedAt === this.holder.startedAt) fs.rmSync(this.file, { force: true });
  }
}
