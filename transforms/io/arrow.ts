/**
 * Arrow IPC files, local or on `gs://`. `readArrow` reads the file format (random access by record
 * batch: positional reads of a local file, ranged requests to Cloud Storage) and the stream format
 * (streamed); the schema comes from the first file at pipeline construction unless it is declared (it
 * must be for `gs://`). `writeArrow` writes the IPC file format. Fields are read as nullable (Beamline
 * schemas are all-nullable).
 */
import * as fs from "node:fs";
import { pipeline as streamPipeline } from "node:stream/promises";
import type { Writable } from "node:stream";
import * as arrow from "apache-arrow";
import { globalBatch } from "../../sdk/batch";
import { makeRecordBatch } from "../../sdk/columns";
import { IOError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import type { BoundedSource, SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { CheckedFileSink, declareCheckedWrite } from "./checked-file-sink";
import type { WrittenWithDeadLetters } from "./common";
import { declareRead, nullableSchema, withSchema } from "./common";
import type { RowSchema } from "../../sdk/schema";
import { expandPattern, FilePattern, FileShardWriter, ioFailure, matchFiles, openRandomAccess, partFile, patternList, storageFor, type RandomAccessFile } from "./files";

const MAGIC = Buffer.from("ARROW1");
/** The end-of-stream marker of the IPC stream format. */
const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function readBytesSync(file: string, start: number, length: number): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, start);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function notArrow(file: string, why: string): IOError {
  return new IOError({
    code: "BL_ARROW_MALFORMED",
    where: file,
    value: file,
    rule: `the file is not an Arrow IPC file or stream (${why})`,
    fix: "check the path and the format; Arrow IPC files start with ARROW1, streams with a schema message",
  });
}

/**
 * The number of record batches of an Arrow IPC file (local or `gs://`), from its footer; null for the
 * stream format or when the footer cannot be read (then the file is read as one part).
 */
export async function arrowBatchCount(file: string): Promise<number | null> {
  let handle: RandomAccessFile;
  try {
    handle = await openRandomAccess(file);
  } catch {
    return null;
  }
  try {
    const magic = Buffer.alloc(6);
    await handle.read(magic, 0, 6, 0);
    if (!magic.equals(MAGIC)) return null;
    const reader = await arrow.RecordBatchReader.from(handle as unknown as fs.promises.FileHandle);
    await reader.open();
    return reader.isFile() ? reader.numRecordBatches : null;
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads the schema of an Arrow IPC file (from its footer) or stream (from its first message) synchronously. */
export function readArrowSchemaSync(file: string): arrow.Schema {
  let head: Buffer;
  let size: number;
  try {
    head = readBytesSync(file, 0, 16);
    size = fs.statSync(file).size;
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
  try {
    if (head.subarray(0, 6).equals(MAGIC)) {
      // The file format: the schema is in the footer. Build a minimal file of just the footer.
      const tail = readBytesSync(file, size - 10, 10);
      if (size < 18 || !tail.subarray(4).equals(MAGIC)) throw notArrow(file, "no ARROW1 at the end: a truncated file?");
      const footerLen = tail.readInt32LE(0);
      if (footerLen <= 0 || footerLen + 18 > size) throw notArrow(file, "a bad footer length");
      const footer = readBytesSync(file, size - 10 - footerLen, footerLen);
      const minimal = Buffer.concat([MAGIC, Buffer.alloc(2), footer, tail]);
      try {
        const reader = arrow.RecordBatchReader.from(new Uint8Array(minimal));
        reader.open();
        return reader.schema;
      } catch {
        return arrow.tableFromIPC(fs.readFileSync(file)).schema; // e.g. dictionaries: read it all
      }
    }
    if (head.length < 8) throw notArrow(file, "it is too short");
    const first = head.readUInt32LE(0);
    const [metaStart, metaLen] = first === 0xffffffff ? [8, head.readInt32LE(4)] : [4, first];
    if (metaLen <= 0 || metaLen > 1 << 28) throw notArrow(file, "no schema message at the start");
    const message = readBytesSync(file, 0, metaStart + metaLen);
    return arrow.tableFromIPC(new Uint8Array(Buffer.concat([message, EOS]))).schema;
  } catch (e) {
    if (e instanceof IOError) throw e;
    throw notArrow(file, (e as Error).message);
  }
}

/** `schema` as an IPC stream's schema message (the stream of no batches, without its end marker). */
function schemaMessage(schema: arrow.Schema): Uint8Array {
  const stream = arrow.tableToIPC(new arrow.Table(schema), "stream");
  return stream.subarray(0, stream.length - EOS.length);
}

/** Blocks read ahead of the one being decoded. */
const READ_AHEAD = 2;

/**
 * The record batches of an IPC file without dictionaries, read by their footer's blocks with
 * positional reads, {@link READ_AHEAD} blocks ahead of the one asked for, so that the reads overlap
 * the processing of the batch before. Each block is read into a buffer that starts with the file's
 * schema message and ends with an end-of-stream marker: a one-batch IPC stream, decoded in place.
 */
class ArrowFileBlocks {
  private readonly pending = new Map<number, Promise<Uint8Array>>();

  constructor(
    private readonly handle: RandomAccessFile,
    private readonly file: string,
    private readonly footer: NonNullable<arrow.RecordBatchFileReader["footer"]>,
    private readonly schema: Uint8Array,
  ) {}

  /** Batch `index`, reading ahead up to batch `end` (exclusive). */
  async batch(index: number, end: number): Promise<arrow.RecordBatch> {
    for (let i = index; i < Math.min(end, index + 1 + READ_AHEAD); i++) {
      if (this.pending.has(i)) continue;
      const read = this.read(i);
      read.catch(() => undefined); // awaited when its batch is asked for, or settled by close()
      this.pending.set(i, read);
    }
    const bytes = await this.pending.get(index)!;
    this.pending.delete(index);
    const reader = arrow.RecordBatchReader.from(bytes);
    const result = reader.next();
    if (result.done || !result.value) throw notArrow(this.file, `record batch ${index} does not decode`);
    return result.value;
  }

  /** Waits for the reads in flight (before the file is closed). */
  async close(): Promise<void> {
    await Promise.allSettled(this.pending.values());
    this.pending.clear();
  }

  private async read(index: number): Promise<Uint8Array> {
    const block = this.footer.getRecordBatch(index);
    if (!block) throw notArrow(this.file, `the footer has no record batch ${index}`);
    const length = block.metaDataLength + Number(block.bodyLength);
    const bytes = new Uint8Array(this.schema.length + length + EOS.length);
    bytes.set(this.schema, 0);
    const { bytesRead } = await this.handle.read(bytes, this.schema.length, length, Number(block.offset));
    if (bytesRead !== length) throw notArrow(this.file, `record batch ${index} is cut short: a truncated file?`);
    bytes.set(EOS, this.schema.length + length);
    return bytes;
  }
}

/**
 * The source behind {@link readArrow}: whole files, or ranges of record batches `{file, first, end}`
 * of IPC files when there are fewer files than parts wanted; positions count record batches from the
 * start of the file.
 */
export class ArrowSource implements BoundedSource {
  constructor(readonly pattern: FilePattern, readonly schema: arrow.Schema, readonly where = "readArrow") {}

  /** About `desiredParts` parts: whole files, or record-batch ranges of IPC files (streams stay whole). */
  async split(desiredParts: number): Promise<JsonValue[]> {
    const files = await matchFiles(this.pattern, this.where);
    if (files.length >= desiredParts) return files.map((file) => ({ file }));
    const counts = await Promise.all(files.map(async (f) => (await arrowBatchCount(f)) ?? 0));
    const total = counts.reduce((a, b) => a + b, 0);
    const parts: JsonValue[] = [];
    files.forEach((file, k) => {
      const batches = counts[k];
      const n = total === 0 ? 1 : Math.min(Math.ceil((desiredParts * batches) / total), batches);
      if (n <= 1) {
        parts.push({ file });
        return;
      }
      for (let i = 0; i < n; i++) {
        parts.push({ file, first: Math.floor((i * batches) / n), end: Math.floor(((i + 1) * batches) / n) });
      }
    });
    return parts;
  }

  /** Reads record batches, relabelled with the declared (all-nullable) schema. */
  async *read(part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk> {
    const file = partFile(part);
    const range = part as { first?: JsonValue; end?: JsonValue };
    const first = typeof range.first === "number" ? range.first : 0;
    const skip = from && typeof from === "object" && !Array.isArray(from) && typeof from.batch === "number" ? from.batch : first;
    const handle = await openRandomAccess(file);
    try {
      const magic = Buffer.alloc(6);
      await handle.read(magic, 0, 6, 0);
      if (magic.equals(MAGIC)) {
        // Arrow's reader takes anything shaped as a FileHandle and reads the footer through it.
        const reader = await arrow.RecordBatchReader.from(handle as unknown as fs.promises.FileHandle);
        await reader.open();
        if (!reader.isFile()) throw notArrow(file, "a bad footer");
        const end = typeof range.end === "number" ? Math.min(range.end, reader.numRecordBatches) : reader.numRecordBatches;
        const footer = reader.footer;
        if (!footer) throw notArrow(file, "no footer");
        if (footer.numDictionaries > 0) {
          throw new IOError({
            code: "BL_ARROW_DICTIONARIES",
            where: file,
            value: reader.schema.fields.map((f) => `${f.name}: ${f.type}`).join(", "),
            rule: "dictionary-encoded columns are not supported",
            fix: "write the file with plain (decoded) columns",
          });
        }
        const blocks = new ArrowFileBlocks(handle, file, footer, schemaMessage(reader.schema));
        try {
          for (let i = skip; i < end; i++) {
            yield { batch: globalBatch(withSchema(await blocks.batch(i, end), this.schema, file)), position: { batch: i + 1 } };
          }
        } finally {
          await blocks.close();
        }
      } else {
        const reader = await arrow.RecordBatchReader.from(storageFor(file).openRead(file));
        let i = 0;
        for await (const b of reader) {
          i++;
          if (i <= skip) continue;
          yield { batch: globalBatch(withSchema(b, this.schema, file)), position: { batch: i } };
        }
      }
    } catch (e) {
      if (e instanceof IOError) throw e;
      throw notArrow(file, (e as Error).message);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

/** Options of {@link readArrow}. */
export interface ReadArrowOptions<T = any> {
  /** The row schema; read from the first file at construction when absent (required for `gs://` files, which are listed only when the pipeline runs). */
  readonly schema?: RowSchema<T>;
}

class ReadArrow extends PTransform<PBegin, PCollection<any>> {
  constructor(readonly pattern: FilePattern, readonly options: ReadArrowOptions) {
    super("ReadArrow");
  }
  expand(_input: PBegin, ctx: ExpandContext): PCollection<any> {
    const where = `transform "${ctx.name}"`;
    const s = nullableSchema(this.options.schema?.arrow ?? readArrowSchemaSync(expandPattern(this.pattern, where)[0]));
    const source = new ArrowSource(this.pattern, s, where);
    return declareRead(ctx, { format: "arrow", pattern: patternList(this.pattern) }, s, source, false).main;
  }
}

/** Reads Arrow IPC files (file or stream format), local or `gs://`; the schema is declared or comes from the first (local) file at construction. */
export function readArrow<T = any>(pattern: FilePattern, options: ReadArrowOptions<T> = {}): PTransform<PBegin, PCollection<T>> {
  return new ReadArrow(pattern, options);
}

/** Options of {@link writeArrow}. */
export interface WriteArrowOptions {
  /** Appended to each shard's name; `.arrow` by default. */
  readonly suffix?: string;
  /** How many files to write; 1 by default. */
  readonly numShards?: number;
  /** Route rows that cannot be written (a string that is not UTF-8, fields other than the file's) to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
}

/** The sink behind {@link writeArrow}: streams record batches into Arrow IPC files. */
export class ArrowSink extends CheckedFileSink {
  constructor(prefix: string, options: WriteArrowOptions = {}, readonly inputSchema: arrow.Schema | null = null) {
    super({ prefix, suffix: options.suffix ?? ".arrow", numShards: options.numShards ?? 1, deadLetter: options.deadLetter }, inputSchema ?? "first-batch", "Arrow");
  }
  protected async openFile(staged: string): Promise<FileShardWriter> {
    // The writer starts on the first batch (or at finish), once the schema is known: resetting it
    // with a schema after its byte stream was taken would detach that stream.
    let writer: arrow.RecordBatchFileWriter | null = null;
    let fileSchema: arrow.Schema | null = null;
    let done: Promise<void> = Promise.resolve();
    let out: Writable | null = null;
    const start = (s: arrow.Schema): arrow.RecordBatchFileWriter => {
      const w = new arrow.RecordBatchFileWriter();
      w.reset(undefined, s);
      fileSchema = s;
      out = storageFor(staged).createWrite(staged);
      done = streamPipeline(w.toNodeStream(), out);
      done.catch(() => undefined);
      writer = w;
      return w;
    };
    return {
      write: (batch) => {
        const w = writer ?? start(this.inputSchema ?? batch.schema);
        // Arrow's writer silently closes itself on a batch whose schema object compares unequal
        // (even for the same fields), so every batch is written under the file's one schema.
        const s = fileSchema!;
        w.write(batch.schema === s ? batch : makeRecordBatch(s, batch.data.children, batch.numRows));
      },
      finish: async () => {
        const w = writer ?? start(this.inputSchema ?? new arrow.Schema([]));
        w.finish();
        w.close();
        try {
          await done;
        } catch (e) {
          throw ioFailure(staged, e, "write");
        }
      },
      destroy: () => {
        // Arrow's abort() rejects a promise nobody can catch: the stream is destroyed, then the writer closed.
        (out as Writable | null)?.destroy();
        (writer as arrow.RecordBatchFileWriter | null)?.close();
      },
    };
  }
}

class WriteArrow extends PTransform<PCollection<any>, PCollection<{ file: string }> | WrittenWithDeadLetters> {
  constructor(readonly prefix: string, readonly options: WriteArrowOptions) {
    super("WriteArrow");
  }
  expand(input: PCollection<any>, ctx: ExpandContext): PCollection<{ file: string }> | WrittenWithDeadLetters {
    const sink = new ArrowSink(this.prefix, this.options, input.schema);
    return declareCheckedWrite(ctx, input, { format: "arrow", prefix: this.prefix, suffix: sink.options.suffix, numShards: sink.numShards ?? null }, sink);
  }
}

/** Writes rows as Arrow IPC files (file format); returns the written paths. */
export function writeArrow(prefix: string, options?: WriteArrowOptions & { readonly deadLetter?: false }): PTransform<PCollection<any>, PCollection<{ file: string }>>;
/** Writes rows as Arrow IPC files (see above); rows it cannot write (a string that is not UTF-8, fields other than the file's) go to `deadLetter`. */
export function writeArrow(prefix: string, options: WriteArrowOptions & { readonly deadLetter: true }): PTransform<PCollection<any>, WrittenWithDeadLetters>;
export function writeArrow(prefix: string, options: WriteArrowOptions = {}): PTransform<PCollection<any>, any> {
  return new WriteArrow(prefix, options);
}
