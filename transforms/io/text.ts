/**
 * Text files: one row per line. `readText` gives a PCollection of strings; `writeText` writes one line
 * per row (strings as they are, other rows as JSON).
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../sdk/batch";
import { makeRecordBatch, utf8Values } from "../../sdk/columns";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { rowAccessor } from "../../sdk/rows";
import { isScalarSchema, scalarSchema, t } from "../../sdk/schema";
import type { BoundedSource, ReadContext, SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { checkWritable, CheckedFileSink, declareCheckedWrite } from "./checked-file-sink";
import type { WrittenWithDeadLetters } from "./common";
import { declareRead, utf8Data } from "./common";
import { toJson } from "./to-json";
import {
  backlogReporter, ByteFileWriter, Compression, detectCompression, FilePattern, FileShardWriter, gzipSuffix,
  outputCompression, partFile, partStart, patternList, readLineChunks, splitLineInput,
} from "./files";

/** The schema of `readText`'s output: bare strings. */
export const textSchema = scalarSchema(t.string());

/** Options of {@link readText}. */
export interface ReadTextOptions {
  /** `auto` (by the `.gz` extension, the default), `gzip` or `none`. */
  readonly compression?: Compression;
}

/**
 * The source behind {@link readText}: whole files, or line-aligned byte ranges of large uncompressed
 * files; resumable at any line. Positions are byte offsets plus line numbers (counted from the start
 * of the part's range when it does not start the file).
 */
export class TextSource implements BoundedSource {
  constructor(readonly pattern: FilePattern, readonly compression: Compression = "auto", readonly where = "readText") {}

  /** About `desiredParts` parts: whole files, or line-aligned byte ranges of large uncompressed ones. */
  async split(desiredParts: number): Promise<JsonValue[]> {
    return splitLineInput(this.pattern, desiredParts, this.where, { compression: this.compression });
  }

  /** Reads a part's lines in batches; positions are byte offsets plus line numbers. */
  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const file = partFile(part);
    const start = partStart(part, from);
    const backlog = backlogReporter(ctx, part, detectCompression(file, this.compression) === "gzip");
    for await (const chunk of readLineChunks(file, { compression: this.compression, from: start.from, end: start.end })) {
      const data = utf8Data(chunk.bytes, chunk.offsets, chunk.count);
      const batch = makeRecordBatch(textSchema.arrow, [data], chunk.count);
      backlog(chunk.endOffset);
      yield { batch: globalBatch(batch), position: { offset: chunk.endOffset, line: chunk.firstLine + chunk.count } };
    }
  }
}

class ReadText extends PTransform<PBegin, PCollection<string>> {
  constructor(readonly pattern: FilePattern, readonly options: ReadTextOptions) {
    super("ReadText");
  }
  expand(_input: PBegin, ctx: ExpandContext): PCollection<string> {
    const source = new TextSource(this.pattern, this.options.compression ?? "auto", `transform "${ctx.name}"`);
    const payload = { format: "text", pattern: patternList(this.pattern), compression: this.options.compression ?? "auto" };
    return declareRead(ctx, payload, textSchema.arrow, source, false).main as PCollection<string>;
  }
}

/** Reads text files matching a pattern (glob or path; `.gz` decompressed) as one string row per line. */
export function readText(pattern: FilePattern, options: ReadTextOptions = {}): PTransform<PBegin, PCollection<string>> {
  return new ReadText(pattern, options);
}

/** Options of {@link writeText}. */
export interface WriteTextOptions {
  /** Appended to each shard's name; `.txt` by default (`.gz` is added for gzip). */
  readonly suffix?: string;
  /** How many files to write; 1 by default. */
  readonly numShards?: number;
  /** `gzip` compresses; `auto` (the default) compresses when the suffix ends in `.gz`. */
  readonly compression?: Compression;
  /** Route rows that cannot be written (a string that is not UTF-8) to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
}

/** @internal Renders rows as lines: strings as they are, everything else as JSON. */
export function rowsAsLines(batch: arrow.RecordBatch): string[] {
  const s = batch.schema;
  if (isScalarSchema(s) && s.fields[0].type.typeId === arrow.Type.Utf8) {
    return utf8Values(batch.getChildAt(0)!).map((v) => v ?? "");
  }
  const row = rowAccessor(batch);
  const out = new Array<string>(batch.numRows);
  for (let i = 0; i < out.length; i++) {
    const v = row(i);
    out[i] = typeof v === "string" ? v : toJson(v);
  }
  return out;
}

/** The sink behind {@link writeText}. */
export class TextSink extends CheckedFileSink {
  /** A batch's lines as UTF-8 (see {@link rowsAsLines}), its rows checked; undefined with dead letters, which the writer routes. */
  readonly encode?: (batch: arrow.RecordBatch) => Uint8Array;

  constructor(prefix: string, readonly textOptions: WriteTextOptions = {}) {
    const suffix = gzipSuffix(textOptions.suffix ?? ".txt", textOptions.compression);
    super({ prefix, suffix, numShards: textOptions.numShards ?? 1, deadLetter: textOptions.deadLetter }, null, "Text");
    if (!this.deadLetter) this.encode = (batch) => (checkWritable(batch, prefix), linesBytes(batch));
  }

  protected async openFile(staged: string): Promise<FileShardWriter> {
    const out = new ByteFileWriter(staged, outputCompression(this.options.suffix, this.textOptions.compression));
    return {
      write: (batch) => out.write(linesBytes(batch)),
      writeBytes: (bytes) => out.write(bytes),
      finish: () => out.end(),
      destroy: () => out.destroy(),
    };
  }
}

/** A batch's lines as UTF-8 (see {@link rowsAsLines}). */
function linesBytes(batch: arrow.RecordBatch): Uint8Array {
  return Buffer.from(rowsAsLines(batch).join("\n") + "\n");
}

class WriteText extends PTransform<PCollection<unknown>, PCollection<{ file: string }> | WrittenWithDeadLetters> {
  constructor(readonly prefix: string, readonly options: WriteTextOptions) {
    super("WriteText");
  }
  expand(input: PCollection<unknown>, ctx: ExpandContext): PCollection<{ file: string }> | WrittenWithDeadLetters {
    const sink = new TextSink(this.prefix, this.options);
    const payload = { format: "text", prefix: this.prefix, suffix: sink.options.suffix, numShards: sink.numShards ?? null, compression: this.options.compression ?? "auto" };
    return declareCheckedWrite(ctx, input, payload, sink);
  }
}

/** Writes one line per row to `prefix-00000-of-0000N.txt` files (strings as is, other rows as JSON); returns the written paths. */
export function writeText(prefix: string, options?: WriteTextOptions & { readonly deadLetter?: false }): PTransform<PCollection<any>, PCollection<{ file: string }>>;
/** Writes one line per row (see above); rows it cannot write (a string that is not UTF-8) go to `deadLetter`. */
export function writeText(prefix: string, options: WriteTextOptions & { readonly deadLetter: true }): PTransform<PCollection<any>, WrittenWithDeadLetters>;
export function writeText(prefix: string, options: WriteTextOptions = {}): PTransform<PCollection<any>, any> {
  return new WriteText(prefix, options);
}
