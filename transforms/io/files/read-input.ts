/** Opening a (possibly gzipped) file for reading from a byte offset, and reading its head for schema discovery. */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { PassThrough, type Readable } from "node:stream";
import { badGzip, ioFailure } from "./io-errors";
import { storageFor } from "./storage-for";

/** Opens a file (local or `gs://`) for reading, decompressing if needed; `start` is a byte offset in the decompressed stream. */
export function openInput(file: string, compression: "gzip" | "none", start = 0, end?: number): Readable {
  const storage = storageFor(file);
  if (compression === "none") return storage.openRead(file, start, end);
  const raw = storage.openRead(file);
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on("error", (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  if (start === 0) return gunzip;
  return skipBytes(gunzip, start);
}

function skipBytes(input: Readable, n: number): Readable {
  let left = n;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  input.on("error", (e) => out.destroy(e));
  input.on("data", (chunk: Buffer) => {
    if (left >= chunk.length) {
      left -= chunk.length;
      return;
    }
    const rest = left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
    if (!out.write(rest)) {
      input.pause();
      out.once("drain", () => input.resume());
    }
  });
  input.on("end", () => out.end());
  return out;
}

/**
 * Reads the first `maxBytes` of a (possibly gzipped) file synchronously, for schema discovery at
 * pipeline construction. Throws an IOError naming the file when it cannot be read.
 */
export function readHeadSync(file: string, compression: "gzip" | "none", maxBytes = 1 << 20): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
  try {
    const buf = Buffer.alloc(maxBytes);
    const n = fs.readSync(fd, buf, 0, maxBytes, 0);
    const head = buf.subarray(0, n);
    if (compression === "none") return head;
    try {
      const out = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      return out.length > maxBytes ? out.subarray(0, maxBytes) : out;
    } catch (e) {
      throw badGzip(file, e);
    }
  } finally {
    fs.closeSync(fd);
  }
}

