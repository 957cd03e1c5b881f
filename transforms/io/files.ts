/**
 * File plumbing shared by the file formats: glob expansion, compression, a streaming line reader
 * that tracks file, line and byte offset, shard names, and the transactional file sink base
 * (writers stage into `<dir>/.beamline-staging-<random>/`, commit renames into place).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { pipeline as streamPipeline } from "node:stream/promises";
import { PassThrough, type Readable, type Writable } from "node:stream";
import fg from "fast-glob";
import type * as arrow from "apache-arrow";
import { BeamlineError, IOError } from "../../sdk/errors";
import type { ElementBatch } from "../../sdk/batch";
import type { JsonValue } from "../../sdk/graph";
import { encodedBytes, type Sink, type SinkWriter } from "../../sdk/sink";

// ---------------------------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------------------------

/** A file pattern: a glob (`data/*.csv`, `logs/**\/*.gz`), a plain path, or a list of them. */
export type FilePattern = string | readonly string[];

/** Describes a pattern for messages and payloads. */
export function patternList(pattern: FilePattern): string[] {
  return typeof pattern === "string" ? [pattern] : [...pattern];
}

/**
 * Expands a pattern to a sorted, de-duplicated list of absolute file paths. A plain path that exists
 * matches itself even if it contains glob characters. Throws an IOError when a pattern matches nothing.
 */
export function expandPattern(pattern: FilePattern, where = "file pattern"): string[] {
  const patterns = patternList(pattern);
  if (patterns.length === 0) {
    throw new IOError({
      code: "BL_IO_NO_PATTERN",
      where,
      value: pattern,
      rule: "no file pattern was given",
      fix: 'pass a path or a glob such as "data/*.csv"',
    });
  }
  const out = new Set<string>();
  for (const p of patterns) {
    if (typeof p !== "string" || p === "") {
      throw new IOError({
        code: "BL_IO_NO_PATTERN",
        where,
        value: p,
        rule: "a file pattern must be a non-empty string",
        fix: 'pass a path or a glob such as "data/*.csv"',
      });
    }
    const literal = path.resolve(p);
    let matched: string[];
    if (isFile(literal)) matched = [literal];
    else matched = fg.sync(p.split(path.sep).join("/"), { onlyFiles: true, absolute: true, dot: false, unique: true });
    if (matched.length === 0) {
      throw new IOError({
        code: "BL_IO_NO_MATCH",
        where,
        value: p,
        rule: `the pattern matched no file (searched from ${process.cwd()})`,
        fix: "check the path and the glob, or create the input files before running the pipeline",
      });
    }
    for (const m of matched) out.add(path.normalize(m));
  }
  return [...out].sort();
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Compression
// ---------------------------------------------------------------------------------------------

/** How a file is compressed: `auto` decides by the `.gz` extension. */
export type Compression = "auto" | "gzip" | "none";

/** Resolves `auto` by extension: `.gz` is gzip, anything else uncompressed. */
export function detectCompression(file: string, compression: Compression = "auto"): "gzip" | "none" {
  if (compression === "gzip" || compression === "none") return compression;
  if (compression !== "auto") {
    throw new IOError({
      code: "BL_IO_BAD_OPTION",
      where: "option compression",
      value: compression,
      rule: 'compression must be "auto", "gzip" or "none"',
      fix: 'pass one of "auto", "gzip", "none"',
    });
  }
  return file.toLowerCase().endsWith(".gz") ? "gzip" : "none";
}

/** Opens a file for reading, decompressing if needed; `start` is a byte offset in the decompressed stream. */
export function openInput(file: string, compression: "gzip" | "none", start = 0, end?: number): Readable {
  if (compression === "none") {
    return fs.createReadStream(file, { start, end: end === undefined ? undefined : end - 1, highWaterMark: 1 << 20 });
  }
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
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

/** @internal An IOError for a failed file operation. */
export function ioFailure(file: string, e: unknown, op: string): BeamlineError {
  if (e instanceof BeamlineError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
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

// ---------------------------------------------------------------------------------------------
// Line reader
// ---------------------------------------------------------------------------------------------

/** Lines read from a file, as UTF-8 bytes (terminators removed) plus offsets: ready for an Arrow utf8 column. */
export interface LineChunk {
  /** The file they come from. */
  readonly file: string;
  /** The 1-based line number of the first line in the chunk. */
  readonly firstLine: number;
  /** How many lines. */
  readonly count: number;
  /** The lines' bytes, concatenated. */
  readonly bytes: Uint8Array;
  /** `count + 1` offsets into `bytes`. */
  readonly offsets: Int32Array;
  /** Per line, 1 when it ended in `\r\n` (its `\r` is removed from `bytes`), else 0. */
  readonly crlf: Uint8Array;
  /** Byte offset (in the decompressed stream) just after the chunk's last line: where a resumed read starts. */
  readonly endOffset: number;
}

/** Decodes line `i` of a chunk. */
export function lineAt(chunk: LineChunk, i: number): string {
  return Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength).toString(
    "utf8",
    chunk.offsets[i],
    chunk.offsets[i + 1],
  );
}

/** Where to resume a line read: a byte offset after a line end, and the number of the next line. */
export interface LinePosition {
  readonly offset: number;
  readonly line: number;
}

/** Options of {@link readLineChunks}. */
export interface LineReadOptions {
  /** Compression, `auto` by default. */
  readonly compression?: Compression;
  /** Resume from here (from a previous chunk's `endOffset` and next line number). */
  readonly from?: LinePosition | null;
  /** Maximum lines per chunk (default 16384). */
  readonly maxLines?: number;
  /** Maximum bytes per chunk (default 32 MiB; a single longer line still makes one chunk). */
  readonly maxBytes?: number;
  /** Stop at this byte offset (uncompressed files only): a byte range from {@link splitLineFiles}, which ends at a line start. */
  readonly end?: number;
}

/** Default rows per batch for the text formats. */
export const DEFAULT_BATCH_ROWS = 16384;

/**
 * Streams a file's lines in chunks without loading it whole. Handles `\n` and `\r\n`, a last line
 * without a terminator, and a UTF-8 byte order mark at the start; counts lines from 1.
 */
export async function* readLineChunks(file: string, opts: LineReadOptions = {}): AsyncGenerator<LineChunk> {
  const compression = detectCompression(file, opts.compression);
  const maxLines = opts.maxLines ?? DEFAULT_BATCH_ROWS;
  const maxBytes = opts.maxBytes ?? 32 << 20;
  const startOffset = opts.from?.offset ?? 0;
  let nextLine = opts.from?.line ?? 1;

  let out = new Uint8Array(1 << 16);
  let outLen = 0;
  let offs: number[] = [0];
  let crlf: number[] = [];
  let chunkFirstLine = nextLine;
  let consumed = startOffset; // stream offset of the start of `carry`
  let carry: Buffer | null = null;
  let first = startOffset === 0;

  const push = (buf: Buffer, s: number, e: number, cr: boolean) => {
    const len = e - s;
    if (outLen + len > out.length) {
      let size = out.length * 2;
      while (size < outLen + len) size *= 2;
      const next = new Uint8Array(size);
      next.set(out.subarray(0, outLen));
      out = next;
    }
    buf.copy(out, outLen, s, e);
    outLen += len;
    offs.push(outLen);
    crlf.push(cr ? 1 : 0);
    nextLine++;
  };
  const emit = (endOffset: number): LineChunk => {
    const chunk: LineChunk = {
      file,
      firstLine: chunkFirstLine,
      count: crlf.length,
      bytes: out.slice(0, outLen),
      offsets: Int32Array.from(offs),
      crlf: Uint8Array.from(crlf),
      endOffset,
    };
    outLen = 0;
    offs = [0];
    crlf = [];
    chunkFirstLine = nextLine;
    return chunk;
  };

  let input: Readable;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    if (opts.end !== undefined && opts.end <= startOffset) return;
    input = openInput(file, compression, startOffset, compression === "none" ? opts.end : undefined);
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
  try {
    for await (const piece of input as AsyncIterable<Buffer>) {
      let buf: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
      let pos = 0;
      if (first) {
        first = false;
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      }
      for (;;) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0) break;
        const cr = nl > pos && buf[nl - 1] === 13;
        push(buf, pos, cr ? nl - 1 : nl, cr);
        pos = nl + 1;
        if (crlf.length >= maxLines || outLen >= maxBytes) yield emit(consumed + pos);
      }
      consumed += pos;
      carry = pos < buf.length ? buf.subarray(pos) : null;
    }
  } catch (e) {
    throw e instanceof BeamlineError ? e : gzipOrIo(file, e, compression);
  }
  if (carry && carry.length > 0) {
    push(carry, 0, carry.length, false);
    consumed += carry.length;
  }
  if (crlf.length > 0) yield emit(consumed);
}

/** The error for a file that is not valid gzip. */
function badGzip(file: string, e: unknown): IOError {
  return new IOError({
    code: "BL_IO_BAD_GZIP",
    where: file,
    value: path.basename(file),
    rule: `the file is not valid gzip: ${(e as Error).message}`,
    fix: 'check the file (it may be truncated), or pass { compression: "none" } if it is not compressed',
    cause: e,
  });
}

function gzipOrIo(file: string, e: unknown, compression: string): BeamlineError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (compression === "gzip" && typeof code === "string" && code.startsWith("Z_")) return badGzip(file, e);
  return ioFailure(file, e, "read");
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/** @internal Reads a JSON position of a line-based read back. */
export function linePosition(from: JsonValue | null): LinePosition | null {
  if (from && typeof from === "object" && !Array.isArray(from) && typeof from.offset === "number" && typeof from.line === "number") {
    return { offset: from.offset, line: from.line };
  }
  return null;
}

/** @internal The part descriptor of the file-per-part sources. */
export interface FilePart {
  readonly file: string;
  readonly [k: string]: JsonValue;
}

/** Splits into one part per matched file (a runner reads parts in parallel). */
export function filesToParts(pattern: FilePattern, where: string): JsonValue[] {
  return expandPattern(pattern, where).map((file) => ({ file }));
}

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

/** @internal Where a line-based part starts: at its position when resuming, else at its range's start and first line. */
export function partStart(part: JsonValue, from: JsonValue | null): { from: LinePosition | null; end?: number } {
  const range = part as { start?: JsonValue; end?: JsonValue; line?: JsonValue };
  const end = typeof range.end === "number" ? range.end : undefined;
  const resumed = linePosition(from);
  if (resumed) return { from: resumed, end };
  if (typeof range.start === "number" && range.start > 0) {
    return { from: { offset: range.start, line: typeof range.line === "number" ? range.line : 1 }, end };
  }
  return { from: null, end };
}

/** @internal The file of a part, checked. */
export function partFile(part: JsonValue): string {
  if (part && typeof part === "object" && !Array.isArray(part) && typeof part.file === "string") return part.file;
  throw new IOError({
    code: "BL_IO_BAD_PART",
    domain: "internal",
    value: part,
    rule: "a file source part must be an object with a string `file`",
    fix: "pass the parts returned by split() unchanged",
  });
}

// ---------------------------------------------------------------------------------------------
// Shard names
// ---------------------------------------------------------------------------------------------

/** The name of shard `index` of `count`: `prefix-00000-of-00003` plus the suffix. */
export function shardName(prefix: string, index: number, count: number, suffix = ""): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}-${pad(index)}-of-${pad(count)}${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// Transactional file sink
// ---------------------------------------------------------------------------------------------

/** Writes one staged file; the sink base makes and removes the staging directory. */
export interface FileShardWriter {
  /** Writes a batch of rows. */
  write(batch: arrow.RecordBatch): void | Promise<void>;
  /** Appends the bytes the sink's `encode` gave for a batch (sinks that encode only). */
  writeBytes?(bytes: Uint8Array): void | Promise<void>;
  /** Finishes the file (flushes and closes it). */
  finish(): Promise<void>;
  /** Stops writing; the file is deleted afterwards. */
  destroy(): void;
}

/** Options every file sink takes. */
export interface FileSinkOptions {
  /** Output name prefix, e.g. `out/words`: shards are `out/words-00000-of-00001.txt`. */
  readonly prefix: string;
  /** Appended to shard names, e.g. `.txt`. */
  readonly suffix: string;
  /** Shards to write; the runner decides when unset. */
  readonly numShards?: number;
}

/** What a writer stages, as JSON: the staging directory, the staged file and its final name. */
export interface StagedFile {
  readonly staging: string;
  readonly staged: string;
  readonly final: string;
}

function isStagedFile(v: JsonValue): v is StagedFile & { [k: string]: JsonValue } {
  return !!v && typeof v === "object" && !Array.isArray(v) && typeof v.staging === "string"
    && typeof v.staged === "string" && typeof v.final === "string";
}

/** The prefix of staging directory names. */
export const STAGING_PREFIX = ".beamline-staging-";

/**
 * The base of transactional file sinks: each writer stages its shard under
 * `<dir>/.beamline-staging-<random>/`; `commit` renames staged files to their final names and
 * removes the staging directories; `abort` removes them. A failed commit removes what it had
 * already published, so a failed run leaves no file under the final names.
 */
export abstract class FileSink implements Sink {
  /** Shards to write, when fixed. */
  readonly numShards?: number;

  constructor(readonly options: FileSinkOptions) {
    if (!options.prefix || typeof options.prefix !== "string") {
      throw new IOError({
        code: "BL_IO_BAD_OPTION",
        where: "file sink prefix",
        value: options.prefix,
        rule: "the output prefix must be a non-empty path",
        fix: 'pass a prefix such as "out/result"',
      });
    }
    if (options.numShards !== undefined && !(Number.isInteger(options.numShards) && options.numShards >= 1)) {
      throw new IOError({
        code: "BL_IO_BAD_OPTION",
        where: "option numShards",
        value: options.numShards,
        rule: "numShards must be a positive integer",
        fix: "pass numShards: 1 or more, or leave it unset to let the runner decide",
      });
    }
    this.numShards = options.numShards;
  }

  /** Opens the format writer for one staged file. */
  protected abstract createWriter(stagedPath: string, shard: { index: number; count: number }): Promise<FileShardWriter>;

  /** The final path of a shard; epochs after the first (checkpointed runs) get `-epoch<n>` after the prefix. */
  finalPath(index: number, count: number, epoch = 0): string {
    const prefix = epoch > 0 ? `${this.options.prefix}-epoch${String(epoch).padStart(5, "0")}` : this.options.prefix;
    return path.resolve(shardName(prefix, index, count, this.options.suffix));
  }

  /** Opens a writer staging shard `index` of `count` (of epoch `epoch`, see `Sink.open`). */
  async open(shard: { index: number; count: number; epoch?: number }): Promise<SinkWriter> {
    const final = this.finalPath(shard.index, shard.count, shard.epoch ?? 0);
    const dir = path.dirname(final);
    let staging: string;
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      staging = await fs.promises.mkdtemp(path.join(dir, STAGING_PREFIX));
    } catch (e) {
      throw ioFailure(dir, e, "create a staging directory in");
    }
    const staged = path.join(staging, path.basename(final));
    let inner: FileShardWriter;
    try {
      inner = await this.createWriter(staged, shard);
    } catch (e) {
      await fs.promises.rm(staging, { recursive: true, force: true });
      throw e instanceof BeamlineError ? e : ioFailure(staged, e, "write");
    }
    let done = false;
    return {
      write: (batch: ElementBatch) => {
        const bytes = encodedBytes(batch);
        if (bytes) return inner.writeBytes!(bytes);
        if (batch.data.numRows === 0) return;
        return inner.write(batch.data);
      },
      close: async (): Promise<JsonValue> => {
        try {
          await inner.finish();
        } catch (e) {
          inner.destroy();
          await fs.promises.rm(staging, { recursive: true, force: true });
          throw e instanceof BeamlineError ? e : ioFailure(staged, e, "write");
        }
        done = true;
        const result: StagedFile = { staging, staged, final };
        return { ...result };
      },
      abort: async () => {
        if (!done) inner.destroy();
        await fs.promises.rm(staging, { recursive: true, force: true });
      },
    };
  }

  /** Publishes staged files under their final names; returns the final paths, in shard order. */
  async commit(staged: JsonValue[]): Promise<string[]> {
    const files = staged.map((s) => {
      if (!isStagedFile(s)) {
        throw new IOError({
          code: "BL_IO_BAD_STAGED",
          domain: "internal",
          value: s,
          rule: "a staged entry must be what a writer's close() returned",
          fix: "pass the results of close() unchanged",
        });
      }
      return s;
    });
    const published: string[] = [];
    try {
      for (const f of files) {
        const stagedExists = await exists(f.staged);
        if (!stagedExists && (await exists(f.final))) {
          published.push(f.final); // committed before (an idempotent retry)
          continue;
        }
        await fs.promises.mkdir(path.dirname(f.final), { recursive: true });
        await fs.promises.rename(f.staged, f.final);
        published.push(f.final);
      }
    } catch (e) {
      await Promise.all(published.map((p) => fs.promises.rm(p, { force: true })));
      await this.abort(staged);
      throw ioFailure(files[published.length]?.final ?? this.options.prefix, e, "publish");
    }
    await Promise.all([...new Set(files.map((f) => f.staging))].map((d) => fs.promises.rm(d, { recursive: true, force: true })));
    return published.sort();
  }

  /** Removes everything staged. */
  async abort(staged: JsonValue[]): Promise<void> {
    const dirs = new Set<string>();
    for (const s of staged) if (isStagedFile(s)) dirs.add(s.staging);
    await Promise.all([...dirs].map((d) => fs.promises.rm(d, { recursive: true, force: true })));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.access(p);
    return true;
  } catch {
    return false;
  }
}

/** A byte sink over a (possibly gzipped) file, honouring backpressure. */
export class ByteFileWriter {
  private readonly file: fs.WriteStream;
  private readonly head: Writable;
  private readonly done: Promise<void>;
  private failure: unknown = null;

  constructor(readonly filePath: string, compression: "gzip" | "none") {
    this.file = fs.createWriteStream(filePath, { flags: "wx", highWaterMark: 1 << 20 });
    if (compression === "gzip") {
      const gz = zlib.createGzip({ chunkSize: 1 << 20 });
      this.head = gz;
      this.done = streamPipeline(gz, this.file);
    } else {
      this.head = this.file;
      this.done = new Promise<void>((resolve, reject) => {
        this.file.on("finish", () => resolve());
        this.file.on("close", () => resolve());
        this.file.on("error", reject);
      });
    }
    this.done.catch((e) => {
      this.failure = e;
    });
  }

  /** Writes bytes (or a string as UTF-8); resolves once the stream can take more. */
  write(chunk: Uint8Array | string): Promise<void> | void {
    if (this.failure) throw ioFailure(this.filePath, this.failure, "write");
    if (typeof chunk === "string" ? chunk.length === 0 : chunk.byteLength === 0) return;
    if (!this.head.write(chunk)) {
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => { this.head.off("error", onError); resolve(); };
        const onError = (e: unknown) => { this.head.off("drain", onDrain); reject(ioFailure(this.filePath, e, "write")); };
        this.head.once("drain", onDrain);
        this.head.once("error", onError);
      });
    }
  }

  /** Ends the file and waits until it is on disk. */
  async end(): Promise<void> {
    this.head.end();
    try {
      await this.done;
    } catch (e) {
      throw ioFailure(this.filePath, e, "write");
    }
  }

  /** Stops writing. */
  destroy(): void {
    this.head.destroy();
    this.file.destroy();
  }
}

/** Appends `.gz` to a suffix for gzip output (so reads detect it), unless already there. */
export function gzipSuffix(suffix: string, compression: Compression | undefined): string {
  return compression === "gzip" && !suffix.toLowerCase().endsWith(".gz") ? `${suffix}.gz` : suffix;
}

/** Output compression: `auto` means gzip when the suffix ends in `.gz`. */
export function outputCompression(suffix: string, compression: Compression | undefined): "gzip" | "none" {
  if (compression === undefined || compression === "auto") return suffix.toLowerCase().endsWith(".gz") ? "gzip" : "none";
  return detectCompression(suffix, compression);
}
