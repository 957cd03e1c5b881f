/**
 * Reads at byte positions, for formats whose readers seek (Arrow IPC files by their footer, Parquet by
 * row group): a local file's handle, or a `gs://` object read by ranged requests, one per read, so that
 * only the bytes asked for are fetched and held.
 */
import * as fs from "node:fs";
import type { Readable } from "node:stream";
import { isGcsPath } from "./gcs-path";
import { ioFailure } from "./io-errors";
import { storageFor } from "./storage-for";

/** The part of Node's `FileHandle` that positional readers use (Arrow's reader takes such a handle for a file). */
export interface RandomAccessFile {
  /** A number, as Arrow's reader tells handles from other inputs by it; -1 for a Cloud Storage object. */
  readonly fd: number;
  /** The file's size. */
  stat(): Promise<{ size: number }>;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; fewer at the end of the file. */
  read<T extends Uint8Array>(buffer: T, offset: number, length: number, position: number): Promise<{ bytesRead: number; buffer: T }>;
  /** Releases the file. */
  close(): Promise<void>;
}

/** Opens a local file or a `gs://` object for reads at positions. Throws an IOError naming the file when it cannot be opened. */
export async function openRandomAccess(file: string): Promise<RandomAccessFile> {
  try {
    if (!isGcsPath(file)) return await fs.promises.open(file, "r");
    return new ObjectRanges(file, await storageFor(file).size(file));
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
}

/**
 * A file as a `Blob` whose slices are read only when their bytes are asked for: `fs.openAsBlob` for a
 * local file; for a `gs://` object, an object with a Blob's `size`, `slice` and `arrayBuffer`, each
 * `arrayBuffer` one ranged request (what parquet-wasm's `ParquetFile.fromFile` calls).
 */
export async function openBlob(file: string): Promise<Blob> {
  try {
    if (!isGcsPath(file)) return await fs.openAsBlob(file);
    const size = await storageFor(file).size(file);
    return new ObjectSlice(file, 0, size) as unknown as Blob;
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
}

/** A whole file's bytes, local or `gs://`. Throws an IOError naming the file when it cannot be read. */
export async function readWhole(file: string): Promise<Buffer> {
  try {
    return isGcsPath(file) ? await collect(storageFor(file).openRead(file)) : await fs.promises.readFile(file);
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
}

/** Bytes `[start, end)` of a `gs://` object. */
async function readObjectRange(file: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  return collect(storageFor(file).openRead(file, start, end));
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** A `gs://` object behind {@link RandomAccessFile}. */
class ObjectRanges implements RandomAccessFile {
  readonly fd = -1;
  constructor(private readonly file: string, private readonly size: number) {}
  async stat(): Promise<{ size: number }> {
    return { size: this.size };
  }
  async read<T extends Uint8Array>(buffer: T, offset: number, length: number, position: number): Promise<{ bytesRead: number; buffer: T }> {
    const bytes = await readObjectRange(this.file, position, Math.min(this.size, position + length));
    buffer.set(bytes, offset);
    return { bytesRead: bytes.length, buffer };
  }
  async close(): Promise<void> {}
}

/** Bytes `[start, end)` of a `gs://` object as much of a `Blob` as parquet-wasm uses. */
class ObjectSlice {
  constructor(private readonly file: string, private readonly start: number, private readonly end: number) {}
  get size(): number {
    return this.end - this.start;
  }
  slice(start = 0, end = this.size): ObjectSlice {
    const at = (i: number) => Math.max(0, Math.min(this.size, i < 0 ? this.size + i : i));
    return new ObjectSlice(this.file, this.start + at(start), this.start + Math.max(at(start), at(end)));
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readObjectRange(this.file, this.start, this.end);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  }
}
