/**
 * The directory the disk state backend keeps its files under (`--state-dir`): made one missing level
 * at a time, and checked, before a run starts, to be a directory the run can write in.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OptionError } from "../../../sdk/errors";
import { makeDirectory } from "../../../sdk/make-directory";

/** Why `e` (thrown making or writing in a directory) means it cannot hold state files, in words. */
export function directoryFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST" || code === "ENOTDIR") return "it, or a directory above it, exists and is not a directory";
  if (code === "EACCES" || code === "EPERM") return `writing there is not permitted (${code})`;
  if (code === "EROFS") return "it is on a read-only file system (EROFS)";
  if (code === "ENOENT") return "a directory above it cannot hold new directories (ENOENT)";
  if (code === "ENOSPC") return "its file system is full (ENOSPC)";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Checks the `--state-dir` of a run on the disk backend before it starts: makes it when missing and
 * writes a file in it, or throws an {@link OptionError} (`BL_BAD_STATE_DIR`) saying why not.
 */
export function checkStateDir(dir: string): void {
  try {
    makeDirectory(dir);
    const probe = fs.mkdtempSync(path.join(dir, ".beamline-write-check-"));
    fs.rmSync(probe, { recursive: true, force: true });
  } catch (e) {
    throw new OptionError({
      code: "BL_BAD_STATE_DIR",
      value: dir,
      rule: `the state directory (--state-dir, stateDir) must be a directory the run can make and write its state files in, but ${directoryFailure(e)}`,
      fix: "pass --state-dir=DIR naming a writable directory (made when missing), or leave it out to use the OS's temp directory",
      cause: e,
    });
  }
}

/** Refuses a state directory for a run that keeps its state in memory, where it would mean nothing. */
export function checkStateDirWanted(stateDir: string | undefined, backend: string): void {
  if (stateDir === undefined || backend === "disk") return;
  throw new OptionError({
    code: "BL_STATE_DIR_WITHOUT_DISK",
    value: stateDir,
    rule: `--state-dir (stateDir) says where the disk state backend keeps its files, and this run keeps its state in ${backend}`,
    fix: 'add --state-backend=disk (stateBackend: "disk") to keep state on disk, or leave --state-dir out',
  });
}
