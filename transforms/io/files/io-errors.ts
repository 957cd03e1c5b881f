/** The errors of file operations: a failed open, read or write, and a file that is not valid gzip. */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, IOError } from "../../../sdk/errors";

/** `p` or its nearest ancestor that exists, when that is not a directory: what makes listing `p` or a path under it fail with ENOTDIR or EEXIST. */
export function fileInTheWay(p: string): string | null {
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    try {
      return fs.statSync(dir).isDirectory() ? null : dir;
    } catch {
      if (path.dirname(dir) === dir) return null;
    }
  }
}

/** "directory" when `p` is one, else "file": what a message calls it. */
function kindOf(p: string): string {
  try {
    return fs.statSync(p).isDirectory() ? "directory" : "file";
  } catch {
    return "file";
  }
}

/** @internal An IOError for a failed file operation. */
export function ioFailure(file: string, e: unknown, op: string): BeamlineError {
  if (e instanceof BeamlineError) return e;
  const errno = (e as { code?: unknown })?.code;
  const code = errno === 404 ? "ENOENT" : errno === 403 ? "EACCES" : errno; // Cloud Storage's HTTP statuses
  const message = e instanceof Error ? e.message : String(e);
  const blocker = code === "ENOTDIR" ? fileInTheWay(file) : code === "EEXIST" ? fileInTheWay(path.dirname(file)) : null;
  if (blocker !== null) {
    return new IOError({
      code: "BL_IO_NOT_A_DIRECTORY",
      where: file,
      value: file,
      rule: `cannot ${op} ${file}: ${blocker} is a file, not a directory`,
      fix: `move or rename the file ${blocker}, or choose a path under a directory`,
      cause: e,
    });
  }
  const denied = (e as NodeJS.ErrnoException)?.path;
  if ((code === "EACCES" || code === "EPERM") && denied && path.resolve(denied) !== path.resolve(file)) {
    // A directory on the way refused us: name it, not the file we were after.
    return new IOError({
      code: "BL_IO_DENIED",
      where: file,
      value: denied,
      rule: `cannot ${op} ${file}: permission denied on ${denied}`,
      fix: `give the user running the pipeline permission to enter and list ${denied} (chmod +rx), or run it as a user who has it`,
      cause: e,
    });
  }
  const kind = kindOf(file);
  return new IOError({
    code: code === "ENOENT" ? "BL_IO_NOT_FOUND" : "BL_IO_FAILED",
    domain: code === "ENOENT" || code === "EACCES" ? "user" : "external",
    where: file,
    value: file,
    rule: code === "ENOENT" ? `cannot ${op} the file: it does not exist` : `cannot ${op} the ${kind}: ${message}`,
    fix: code === "ENOENT" ? "check the path, or create the file before running the pipeline" : `check the ${kind}'s permissions and the disk`,
    retriable: code !== "ENOENT" && code !== "EACCES",
    cause: e,
  });
}

/** The error for a file that is not valid gzip. */
export function badGzip(file: string, e: unknown): IOError {
  return new IOError({
    code: "BL_IO_BAD_GZIP",
    where: file,
    value: path.basename(file),
    rule: `the file is not valid gzip: ${(e as Error).message}`,
    fix: 'check the file (it may be truncated), or pass { compression: "none" } if it is not compressed',
    cause: e,
  });
}

/** @internal The error for a failed read: bad gzip when the gzip stream failed, else the file operation's. */
export function gzipOrIo(file: string, e: unknown, compression: string): BeamlineError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (compression === "gzip" && typeof code === "string" && code.startsWith("Z_")) return badGzip(file, e);
  return ioFailure(file, e, "read");
}
