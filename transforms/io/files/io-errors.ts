/** The errors of file operations: a failed open, read or write, and a file that is not valid gzip. */
import * as path from "node:path";
import { BeamlineError, IOError } from "../../../sdk/errors";

/** @internal An IOError for a failed file operation. */
export function ioFailure(file: string, e: unknown, op: string): BeamlineError {
  if (e instanceof BeamlineError) return e;
  const errno = (e as { code?: unknown })?.code;
  const code = errno === 404 ? "ENOENT" : errno === 403 ? "EACCES" : errno; // Cloud Storage's HTTP statuses
  const message = e instanceof Error ? e.message : String(e);
  return new IOError({
    code: code === "ENOENT" ? "BL_IO_NOT_FOUND" : "BL_IO_FAILED",
    domain: code === "ENOENT" || code === "EACCES" ? "user" : "external",
    where: file,
    value: file,
    rule: code === "ENOENT" ? `cannot ${op} the file: it does not exist` : `cannot ${op} the file: ${message}`,
    fix: code === "ENOENT" ? "check the path, or create the file before running the pipeline" : "check the file's permissions and the disk",
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
