/** Streaming a file's lines in chunks of UTF-8 bytes and offsets, tracking line numbers, byte offsets and invalid UTF-8. */
import { isUtf8 } from "node:buffer";
import * as fs from "node:fs";
import type { Readable } from "node:stream";
import { BeamlineError } from "../../../sdk/errors";
import { detectCompression, type Compression } from "./compression";
import { isGcsPath } from "./gcs-path";
import { gzipOrIo, ioFailure } from "./io-errors";
import { openInput } from "./read-input";

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
  /** The indices (ascending) of the lines that are not valid UTF-8: decoding them would replace bytes with U+FFFD. Usually empty. */
  readonly invalidUtf8: readonly number[];
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
 * without a terminator, and a UTF-8 byte order mark at the start; counts lines from 1. Lines that are
 * not valid UTF-8 are listed in their chunk's `invalidUtf8`: the check is one native pass over each
 * block of whole lines read (a newline never sits inside a UTF-8 sequence, so a block is valid exactly
 * when each of its lines is), and lines are checked one by one only in a block that fails it.
 */
export async function* readLineChunks(file: string, opts: LineReadOptions = {}): AsyncGenerator<LineChunk> {
  const compression = detectCompression(file, opts.compression);
  const maxLines = opts.maxLines ?? DEFAULT_BATCH_ROWS;
  const maxBytes = opts.maxBytes ?? 32 << 20;
  const startOffset = opts.from?.offset ?? 0;
  let nextLine = opts.from?.line ?? 1;

  let out = new Uint8Array(1 << 16);
  let outLen = 0;
  // Offsets (count + 1 of them) and CRLF flags of the chunk's lines, grown by doubling and reused.
  let offs = new Int32Array(1024);
  let crlf = new Uint8Array(1024);
  let count = 0;
  let invalid: number[] = [];
  /** Whether the lines being pushed may hold invalid UTF-8 (their block failed the check). */
  let suspect = false;
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
    if (suspect && !isUtf8(buf.subarray(s, e))) invalid.push(count);
    // Short lines byte by byte: copying through a view would allocate one per line.
    if (len < 64) for (let i = 0; i < len; i++) out[outLen + i] = buf[s + i];
    else out.set(buf.subarray(s, e), outLen);
    outLen += len;
    if (count + 1 === crlf.length) {
      const grownOffs = new Int32Array(offs.length * 2);
      grownOffs.set(offs);
      offs = grownOffs;
      const grownCrlf = new Uint8Array(crlf.length * 2);
      grownCrlf.set(crlf);
      crlf = grownCrlf;
    }
    crlf[count] = cr ? 1 : 0;
    offs[++count] = outLen;
    nextLine++;
  };
  const emit = (endOffset: number): LineChunk => {
    const chunk: LineChunk = {
      file,
      firstLine: chunkFirstLine,
      count,
      bytes: out.slice(0, outLen),
      offsets: offs.slice(0, count + 1),
      crlf: crlf.slice(0, count),
      endOffset,
      invalidUtf8: invalid,
    };
    outLen = 0;
    count = 0;
    invalid = [];
    chunkFirstLine = nextLine;
    return chunk;
  };

  let input: Readable;
  try {
    if (!isGcsPath(file)) await fs.promises.access(file, fs.constants.R_OK); // gs:// objects fail on their first read
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
      const last = buf.lastIndexOf(10);
      suspect = last >= pos && !isUtf8(buf.subarray(pos, last + 1));
      for (;;) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0) break;
        const cr = nl > pos && buf[nl - 1] === 13;
        push(buf, pos, cr ? nl - 1 : nl, cr);
        pos = nl + 1;
        if (count >= maxLines || outLen >= maxBytes) yield emit(consumed + pos);
      }
      consumed += pos;
      carry = pos < buf.length ? buf.subarray(pos) : null;
    }
  } catch (e) {
    throw e instanceof BeamlineError ? e : gzipOrIo(file, e, compression);
  }
  if (carry && carry.length > 0) {
    suspect = true;
    push(carry, 0, carry.length, false);
    consumed += carry.length;
  }
  if (count > 0) yield emit(consumed);
}
