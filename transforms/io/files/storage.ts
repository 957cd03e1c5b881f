/**
 * Where files live: the operations file reads, sinks and the committer need, over the local file
 * system or a Google Cloud Storage bucket (see `storage-for.ts`, which chooses by the path's scheme).
 * A "directory" on GCS is a name prefix ending in `/`; it exists while an object has that prefix.
 */
import type { Readable, Writable } from "node:stream";

/** The file operations of one kind of storage; paths are local paths or `gs://bucket/name`. */
export interface FileStorage {
  /** The absolute form of a path (local paths are resolved from the working directory). */
  resolve(p: string): string;
  /** The directory of a path. */
  dirname(p: string): string;
  /** A name inside a directory. */
  join(dir: string, name: string): string;
  /** The files a glob (or a plain path) matches, as sorted absolute paths; none when nothing matches. */
  match(pattern: string): Promise<string[]>;
  /** A file's size in bytes. */
  size(file: string): Promise<number>;
  /** Whether a file, or a directory holding something, exists. */
  exists(p: string): Promise<boolean>;
  /** Reads bytes `[start, end)` of a file (to its end when `end` is unset). */
  openRead(file: string, start?: number, end?: number): Readable;
  /** A stream writing a new file; it fails if the file exists. Finished when it emits `finish` (or `close`). */
  createWrite(file: string): Writable;
  /** Writes a small file whole, replacing it. */
  writeSmall(file: string, text: string): Promise<void>;
  /** Makes sure a directory exists (nothing to do on GCS). */
  ensureDir(dir: string): Promise<void>;
  /** Moves a file to a new name, replacing what is there (on GCS: copy, then delete). */
  move(from: string, to: string): Promise<void>;
  /** Removes a file; nothing when it is gone already. */
  remove(file: string): Promise<void>;
  /** Makes a new, empty, uniquely named directory in `dir` whose name starts with `namePrefix`; returns its path. */
  makeTempDir(dir: string, namePrefix: string): Promise<string>;
  /** The names directly in a directory (files and subdirectories); none when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes a directory and everything in it; nothing when it is gone already. */
  removeDir(dir: string): Promise<void>;
}
