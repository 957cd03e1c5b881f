/** Splitting line-based files into byte ranges that start at line starts, so a runner reads one file in parallel. */
import * as fs from "node:fs";
import type { JsonValue } from "../../../sdk/graph";
import { detectCompression, type Compression } from "./compression";
import { ioFailure } from "./io-errors";
import { isGcsPath } from "./gcs-path";
import { expandPattern, matchFiles, patternList, type FilePattern } from "./pattern";

/** Parts smaller than this are not split further (1 MiB). */
export const MIN_SPLIT_BYTES = 1 << 20;

/** Options of {@link splitLineFiles}. */
export interface LineSplitOptions {
  /** Compression of the files; gzip files are never split (a gzip stream cannot be entered midway). */
  readonly compression?: Compression;
  /** Count the lines before each range so its part carries the number of its first line (costs a scan of the file). */
  readonly countLines?: boolean;
  /** Smallest range worth a part of its own; {@link MIN_SPLIT_BYTES} by default. */
  readonly minBytes?: number;
}

/**
 * Splits line-based files into about `desiredParts` parts: one per file when there are enough files,
 * otherwise uncompressed files of at least two `minBytes` are cut into byte ranges `{file, start, end}`
 * whose bounds are line starts, so every line belongs to exactly one part. With `countLines`, a range
 * not at the start also carries `line`, the 1-based number of its first line.
 */
export function splitLineFiles(pattern: FilePattern, desiredParts: number, where: string, opts: LineSplitOptions = {}): JsonValue[] {
  const files = expandPattern(pattern, where);
  if (files.length >= desiredParts) return files.map((file) => ({ file }));
  const minBytes = opts.minBytes ?? MIN_SPLIT_BYTES;
  const sizes = files.map((f) => (detectCompression(f, opts.compression) === "none" ? fileSize(f) : 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  const parts: JsonValue[] = [];
  files.forEach((file, k) => {
    const size = sizes[k];
    const n = total === 0 ? 1 : Math.min(Math.ceil((desiredParts * size) / total), Math.floor(size / minBytes));
    if (n <= 1) {
      parts.push({ file });
      return;
    }
    const bounds = lineBoundaries(file, size, n);
    const lines = opts.countLines ? linesBefore(file, bounds) : null;
    for (let i = 0; i + 1 < bounds.length; i++) {
      const part: { [k: string]: JsonValue } = { file, start: bounds[i], end: bounds[i + 1] };
      if (lines && bounds[i] > 0) part.line = lines[i] + 1;
      parts.push(part);
    }
  });
  return parts;
}

/**
 * {@link splitLineFiles} for patterns that may name `gs://` files: those are read whole, one part per
 * file (byte ranges of Cloud Storage objects are not split); local patterns split as usual.
 */
export async function splitLineInput(pattern: FilePattern, desiredParts: number, where: string, opts: LineSplitOptions = {}): Promise<JsonValue[]> {
  if (!patternList(pattern).some(isGcsPath)) return splitLineFiles(pattern, desiredParts, where, opts);
  return (await matchFiles(pattern, where)).map((file) => ({ file }));
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
}

/** `0`, the line starts at or after each `i * size / n`, and `size`, without repeats. */
function lineBoundaries(file: string, size: number, n: number): number[] {
  const bounds = [0];
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let i = 1; i < n; i++) {
      let at = Math.max(Math.floor((i * size) / n), bounds[bounds.length - 1]) - 1;
      let found = -1;
      while (found < 0 && at < size) {
        const got = fs.readSync(fd, buf, 0, buf.length, at);
        if (got <= 0) break;
        const nl = buf.subarray(0, got).indexOf(10);
        if (nl >= 0) found = at + nl + 1;
        else at += got;
      }
      if (found < 0 || found >= size) break;
      if (found > bounds[bounds.length - 1]) bounds.push(found);
    }
  } finally {
    fs.closeSync(fd);
  }
  bounds.push(size);
  return bounds;
}

/** The number of line terminators before each boundary (in ascending order). */
function linesBefore(file: string, bounds: readonly number[]): number[] {
  const out = [0];
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (let i = 1; i < bounds.length; i++) {
      for (let pos = bounds[i - 1]; pos < bounds[i]; ) {
        const got = fs.readSync(fd, buf, 0, Math.min(buf.length, bounds[i] - pos), pos);
        if (got <= 0) break;
        const b = buf.subarray(0, got);
        for (let j = b.indexOf(10); j >= 0; j = b.indexOf(10, j + 1)) lines++;
        pos += got;
      }
      out.push(lines);
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
