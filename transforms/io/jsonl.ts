/**
 * JSON Lines: one JSON value per line. Without a declared schema, the schema is inferred at pipeline
 * construction from the first lines (up to 1000, within the first MiB) of the first matched file;
 * later rows must fit it (a field never seen there is an error, or a dead letter). Blank lines are
 * skipped. Timestamps are written as milliseconds since the epoch (and read from those or from ISO-8601
 * strings), binary as base64, and the floats
 * JSON cannot hold (NaN, ±Infinity) as the strings "NaN", "Infinity" and "-Infinity", which a float
 * column of a declared schema reads back as those floats.
 */
import type * as arrow from "apache-arrow";
import { globalBatch } from "../../sdk/batch";
import { BeamlineError, IOError, SchemaError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { rowAccessor, rowsToRecordBatch } from "../../sdk/rows";
import { inferSchema, type RowSchema } from "../../sdk/schema";
import type { BoundedSource, ReadContext, SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { CheckedFileSink, declareCheckedWrite } from "./checked-file-sink";
import type { WrittenWithDeadLetters } from "./common";
import { BAD_ROW_FIX, BadRecord, deadLetterChunk, declareRead, NOT_UTF8, NOT_UTF8_FIX } from "./common";
import type { WithDeadLetters } from "../../sdk/dead-letter";
import {
  backlogReporter, ByteFileWriter, Compression, detectCompression, expandPattern, FilePattern, FileShardWriter,
  gzipSuffix, lineAt, outputCompression, partFile, partStart, patternList, readHeadSync, readLineChunks, splitLineInput,
} from "./files";
import { nonFiniteFloatReader } from "./json-floats";
import { toJson } from "./to-json";

/** How many lines schema inference reads at most. */
export const JSONL_INFERENCE_LINES = 1000;

/** Options of {@link readJsonLines}. */
export interface ReadJsonLinesOptions<T = unknown> {
  /** The row schema; inferred from the first lines of the first file when absent. */
  readonly schema?: RowSchema<T>;
  /** Route malformed rows to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
  /** `auto` (by the `.gz` extension, the default), `gzip` or `none`. */
  readonly compression?: Compression;
}

/** Infers the schema of JSON Lines files from the first lines of the first matched file (synchronously). */
export function inferJsonLinesSchema(pattern: FilePattern, compression: Compression = "auto", where = "readJsonLines"): arrow.Schema {
  const file = expandPattern(pattern, where)[0];
  const head = readHeadSync(file, detectCompression(file, compression), 1 << 20);
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  const lines = text.split("\n");
  const complete = head.length < 1 << 20 ? lines.length : lines.length - 1; // the last line may be cut off
  const values: unknown[] = [];
  for (let i = 0; i < complete && values.length < JSONL_INFERENCE_LINES; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === "") continue;
    try {
      values.push(JSON.parse(line));
    } catch (e) {
      throw new IOError({
        code: "BL_JSONL_MALFORMED",
        where: `${file}:${i + 1}`,
        value: line,
        rule: `the line is not valid JSON (${(e as Error).message}), so the schema cannot be inferred from it`,
        fix: "fix the line, or declare the schema (then bad lines can go to a dead-letter output with { deadLetter: true })",
      });
    }
  }
  if (values.length === 0) {
    throw new IOError({
      code: "BL_JSONL_EMPTY",
      where: file,
      value: file,
      rule: "cannot infer a schema: the first matched file has no JSON lines",
      fix: "declare the schema, e.g. { schema: schema({ id: t.int64(), name: t.string() }) }",
    });
  }
  return inferSchema(values, `${where} (inferring from ${file})`);
}

/** The source behind {@link readJsonLines}: files split into line-aligned byte ranges, resumable at any line. */
export class JsonLinesSource implements BoundedSource {
  constructor(
    readonly pattern: FilePattern,
    readonly schema: arrow.Schema,
    readonly deadLetter: boolean,
    readonly compression: Compression = "auto",
    readonly where = "readJsonLines",
    /** The transform's unique name, which its dead letters carry. */
    readonly transform = "ReadJsonLines",
  ) {
    this.nonFinite = nonFiniteFloatReader(schema);
  }

  /** About `desiredParts` parts: whole files, or line-aligned byte ranges of large uncompressed ones (numbered lines). */
  async split(desiredParts: number): Promise<JsonValue[]> {
    return splitLineInput(this.pattern, desiredParts, this.where, { compression: this.compression, countLines: true });
  }

  /** Parses lines in batches; bad lines fail the read or become dead letters. */
  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const file = partFile(part);
    const start = partStart(part, from);
    const backlog = backlogReporter(ctx, part, detectCompression(file, this.compression) === "gzip");
    for await (const chunk of readLineChunks(file, { compression: this.compression, from: start.from, end: start.end })) {
      backlog(chunk.endOffset);
      const rows: unknown[] = [];
      const lineNos: number[] = [];
      const raws: string[] = [];
      const letters: BadRecord[] = [];
      let nextInvalid = 0;
      for (let i = 0; i < chunk.count; i++) {
        const raw = lineAt(chunk, i);
        const line = chunk.firstLine + i;
        if (chunk.invalidUtf8[nextInvalid] === i) {
          nextInvalid++;
          this.bad(letters, file, line, raw, NOT_UTF8, NOT_UTF8_FIX);
          continue;
        }
        if (raw.trim() === "") continue;
        try {
          rows.push(JSON.parse(raw));
          lineNos.push(line);
          raws.push(raw);
        } catch (e) {
          this.bad(letters, file, line, raw, `the line is not valid JSON (${(e as Error).message})`);
        }
      }
      const position = { offset: chunk.endOffset, line: chunk.firstLine + chunk.count };
      let batch = this.batchOf(rows);
      // "NaN", "Infinity" and "-Infinity" in float columns, as writeJsonLines writes them (looked for only when a batch does not fit)
      if (!batch && this.nonFinite?.(rows)) batch = this.batchOf(rows);
      if (!batch) {
        // find the rows that do not fit, one by one
        const good: unknown[] = [];
        for (let r = 0; r < rows.length; r++) {
          try {
            rowsToRecordBatch([rows[r]], this.schema, this.where);
            good.push(rows[r]);
          } catch (err) {
            if (!(err instanceof BeamlineError)) throw err;
            this.bad(letters, file, lineNos[r], raws[r], `the row does not fit the schema: ${err.rule}`, err.fix);
          }
        }
        batch = rowsToRecordBatch(good, this.schema, this.where);
      }
      if (letters.length > 0) yield { ...deadLetterChunk(this.transform, letters), ...(batch.numRows === 0 ? { position } : {}) };
      if (batch.numRows > 0) yield { batch: globalBatch(batch), position };
    }
  }

  /** The batch of `rows`, or null when some row does not fit the schema. */
  private batchOf(rows: unknown[]): arrow.RecordBatch | null {
    try {
      return rowsToRecordBatch(rows, this.schema, this.where);
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      return null;
    }
  }

  /** Turns the strings standing for NaN and infinities into floats; null when the schema has no float. */
  private readonly nonFinite: ((rows: unknown[]) => boolean) | null;

  private bad(letters: BadRecord[], file: string, line: number, raw: string, error: string, fix?: string): void {
    if (this.deadLetter) {
      letters.push({ file, line, raw, error });
      return;
    }
    throw new IOError({ code: "BL_JSONL_MALFORMED", where: `${file}:${line}`, value: raw, rule: error, fix: fix ? `${fix.replace(/\.$/, "")}; or ${BAD_ROW_FIX}` : BAD_ROW_FIX });
  }
}

class ReadJsonLines extends PTransform<PBegin, any> {
  constructor(readonly pattern: FilePattern, readonly options: ReadJsonLinesOptions<any>) {
    super("ReadJsonLines");
  }
  expand(_input: PBegin, ctx: ExpandContext): any {
    const where = `transform "${ctx.name}"`;
    const compression = this.options.compression ?? "auto";
    const s = this.options.schema?.arrow ?? inferJsonLinesSchema(this.pattern, compression, where);
    const deadLetter = this.options.deadLetter ?? false;
    const source = new JsonLinesSource(this.pattern, s, deadLetter, compression, where, ctx.name);
    const out = declareRead(ctx, { format: "jsonl", pattern: patternList(this.pattern), compression }, s, source, deadLetter);
    return deadLetter ? { main: out.main, deadLetter: out.deadLetter } : out.main;
  }
}

/** Reads JSON Lines files (schema declared or inferred at construction); bad lines fail the read, naming file and line. */
export function readJsonLines<T = any>(pattern: FilePattern, options?: ReadJsonLinesOptions<T> & { deadLetter?: false }): PTransform<PBegin, PCollection<T>>;
/** Reads JSON Lines files, routing malformed lines to `deadLetter` (the one dead-letter schema, with file and line). */
export function readJsonLines<T = any>(pattern: FilePattern, options: ReadJsonLinesOptions<T> & { deadLetter: true }): PTransform<PBegin, WithDeadLetters<T>>;
export function readJsonLines(pattern: FilePattern, options: ReadJsonLinesOptions<any> = {}): PTransform<PBegin, any> {
  return new ReadJsonLines(pattern, options);
}

/** Options of {@link writeJsonLines}. */
export interface WriteJsonLinesOptions {
  /** Appended to each shard's name; `.jsonl` by default (`.gz` is added for gzip). */
  readonly suffix?: string;
  /** How many files to write; 1 by default. */
  readonly numShards?: number;
  /** `gzip` compresses; `auto` (the default) compresses when the suffix ends in `.gz`. */
  readonly compression?: Compression;
  /** Route rows that cannot be written (a string that is not UTF-8) to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
}

/** The sink behind {@link writeJsonLines}: one JSON value per row and line; NaN and ±Infinity as "NaN", "Infinity", "-Infinity". */
export class JsonLinesSink extends CheckedFileSink {
  constructor(prefix: string, readonly jsonOptions: WriteJsonLinesOptions = {}) {
    super({ prefix, suffix: gzipSuffix(jsonOptions.suffix ?? ".jsonl", jsonOptions.compression), numShards: jsonOptions.numShards ?? 1, deadLetter: jsonOptions.deadLetter }, null, "JsonLines");
  }
  protected async openFile(staged: string): Promise<FileShardWriter> {
    const out = new ByteFileWriter(staged, outputCompression(this.options.suffix, this.jsonOptions.compression));
    return {
      write: (batch) => {
        const row = rowAccessor(batch);
        const lines = new Array<string>(batch.numRows);
        for (let i = 0; i < lines.length; i++) lines[i] = toJson(row(i));
        return out.write(lines.join("\n") + "\n");
      },
      finish: () => out.end(),
      destroy: () => out.destroy(),
    };
  }
}

class WriteJsonLines extends PTransform<PCollection<any>, PCollection<{ file: string }> | WrittenWithDeadLetters> {
  constructor(readonly prefix: string, readonly options: WriteJsonLinesOptions) {
    super("WriteJsonLines");
  }
  expand(input: PCollection<any>, ctx: ExpandContext): PCollection<{ file: string }> | WrittenWithDeadLetters {
    const sink = new JsonLinesSink(this.prefix, this.options);
    return declareCheckedWrite(ctx, input, { format: "jsonl", prefix: this.prefix, suffix: sink.options.suffix, numShards: sink.numShards ?? null }, sink);
  }
}

/**
 * Writes one JSON value per row per line; returns the written paths. Timestamps become milliseconds
 * since the epoch and binary base64. NaN, Infinity and -Infinity, which JSON has no number for, are
 * written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`; {@link readJsonLines} with the same
 * (declared) schema reads them back into the float column as those floats, so a round trip keeps them.
 */
export function writeJsonLines(prefix: string, options?: WriteJsonLinesOptions & { readonly deadLetter?: false }): PTransform<PCollection<any>, PCollection<{ file: string }>>;
/** Writes one JSON value per row per line (see above); rows it cannot write (a string that is not UTF-8) go to `deadLetter`. */
export function writeJsonLines(prefix: string, options: WriteJsonLinesOptions & { readonly deadLetter: true }): PTransform<PCollection<any>, WrittenWithDeadLetters>;
export function writeJsonLines(prefix: string, options: WriteJsonLinesOptions = {}): PTransform<PCollection<any>, any> {
  return new WriteJsonLines(prefix, options);
}
