/**
 * Parquet files through parquet-wasm (Arrow IPC ↔ Parquet), local or on `gs://`. `readParquet` splits
 * by row group and reads a file as a lazily read Blob (a `gs://` object by ranged requests, so a part
 * fetches its footer and its row group's bytes, not the whole object); the schema comes from the first
 * file's footer at pipeline construction unless it is declared (it must be for `gs://`). `writeParquet` buffers a
 * shard's batches in memory and writes the file when the shard closes (row groups of 65536 rows,
 * Snappy compression by default).
 */
import * as fs from "node:fs";
import * as arrow from "apache-arrow";
import type * as pw from "parquet-wasm/node/parquet_wasm";
import { globalBatch } from "../../sdk/batch";
import { IOError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import type { BoundedSource, SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { CheckedFileSink, declareCheckedWrite } from "./checked-file-sink";
import type { WrittenWithDeadLetters } from "./common";
import { declareRead, nullableSchema, withSchema } from "./common";
import type { RowSchema } from "../../sdk/schema";
import { ByteFileWriter, expandPattern, FilePattern, FileShardWriter, ioFailure, matchFiles, openBlob, partFile, patternList, readWhole } from "./files";
import { isWasmTrap, withParquetWasm, withParquetWasmSync } from "./parquet-wasm";


function notParquet(file: string, why: string, cause?: unknown): IOError {
  return new IOError({
    code: "BL_PARQUET_MALFORMED",
    where: file,
    value: file,
    rule: `the file is not a readable Parquet file (${why})`,
    fix: "check the path and the format (Parquet files start and end with PAR1); a file that is corrupt must be written again or left out of the pattern",
    retriable: false,
    cause,
  });
}

/** Reads the Arrow schema of a Parquet file synchronously, from its footer only. */
export function readParquetSchemaSync(file: string): arrow.Schema {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw ioFailure(file, e, "read");
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 12) throw notParquet(file, "it is too short");
    const tail = Buffer.alloc(8);
    fs.readSync(fd, tail, 0, 8, size - 8);
    if (tail.subarray(4).toString("latin1") !== "PAR1") throw notParquet(file, "no PAR1 at the end");
    const footerLen = tail.readUInt32LE(0);
    if (footerLen + 12 > size) throw notParquet(file, "a bad footer length");
    // A minimal buffer that holds just the footer: "PAR1" + footer + length + "PAR1".
    const buf = Buffer.alloc(footerLen + 12);
    buf.write("PAR1", 0, "latin1");
    fs.readSync(fd, buf, 4, footerLen + 8, size - 8 - footerLen);
    try {
      return arrow.tableFromIPC(withParquetWasmSync((p) => p.readSchema(buf)).intoIPCStream()).schema;
    } catch (e) {
      throw notParquet(file, String((e as Error)?.message ?? e), e);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The source behind {@link readParquet}: one part per row group. */
export class ParquetSource implements BoundedSource {
  constructor(readonly pattern: FilePattern, readonly schema: arrow.Schema, readonly where = "readParquet", readonly batchRows = 65536) {}

  /** One part per row group of every matched file. */
  async split(_desiredParts: number): Promise<JsonValue[]> {
    const parts: JsonValue[] = [];
    for (const file of await matchFiles(this.pattern, this.where)) {
      const n = await this.decode(file, (pf) => pf.metadata().numRowGroups());
      for (let rg = 0; rg < n; rg++) parts.push({ file, rowGroup: rg });
    }
    return parts;
  }

  /**
   * Opens a file and runs `f` on it. Any failure of the decoder, a trap (a panic on corrupt data)
   * included, is a non-retriable error naming the file; a trap during another file's read on the
   * shared decoder is told apart by decoding this one alone with `alone`.
   */
  private async decode<T>(file: string, f: (pf: pw.ParquetFile) => T | Promise<T>, alone?: (bytes: Uint8Array) => T): Promise<T> {
    const blob = await openBlob(file);
    try {
      return await withParquetWasm(async (p) => {
        const pf = await p.ParquetFile.fromFile(blob);
        try {
          return await f(pf);
        } finally {
          try {
            pf.free();
          } catch {
            // freed with a trapped instance: nothing left to free
          }
        }
      });
    } catch (e) {
      if (isWasmTrap(e) && alone) {
        const bytes = await readWhole(file);
        try {
          return await withParquetWasm(() => alone(bytes));
        } catch (err) {
          throw notParquet(file, describeFailure(err), err);
        }
      }
      throw notParquet(file, describeFailure(e), e);
    }
  }

  /** Reads one row group in batches; positions count batches within it. */
  async *read(part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk> {
    const file = partFile(part);
    const rowGroup = (part as { rowGroup?: unknown }).rowGroup;
    const skip = from && typeof from === "object" && !Array.isArray(from) && typeof from.batch === "number" ? from.batch : 0;
    const options = { batchSize: this.batchRows, ...(typeof rowGroup === "number" ? { rowGroups: [rowGroup] } : {}) };
    const table = await this.decode(
      file,
      async (pf) => arrow.tableFromIPC((await pf.read(options)).intoIPCStream()),
      (bytes) => arrow.tableFromIPC(withParquetWasmSync((p) => p.readParquet(bytes, options)).intoIPCStream()),
    );
    for (let i = skip; i < table.batches.length; i++) {
      yield { batch: globalBatch(withSchema(table.batches[i], this.schema, file)), position: { batch: i + 1 } };
    }
  }
}

/** What went wrong in the decoder, for a message: a trap says the data is corrupt. */
function describeFailure(e: unknown): string {
  if (isWasmTrap(e)) return `the decoder failed on its data (${(e as Error).message}): the file is corrupt`;
  return String((e as Error)?.message ?? e);
}

/** Options of {@link readParquet}. */
export interface ReadParquetOptions<T = any> {
  /** The row schema; read from the first file's footer at construction when absent (required for `gs://` files, which are listed only when the pipeline runs). */
  readonly schema?: RowSchema<T>;
}

class ReadParquet extends PTransform<PBegin, PCollection<any>> {
  constructor(readonly pattern: FilePattern, readonly options: ReadParquetOptions) {
    super("ReadParquet");
  }
  expand(_input: PBegin, ctx: ExpandContext): PCollection<any> {
    const where = `transform "${ctx.name}"`;
    const s = nullableSchema(this.options.schema?.arrow ?? readParquetSchemaSync(expandPattern(this.pattern, where)[0]));
    const source = new ParquetSource(this.pattern, s, where);
    return declareRead(ctx, { format: "parquet", pattern: patternList(this.pattern) }, s, source, false).main;
  }
}

/** Reads Parquet files (one part per row group), local or `gs://`; the schema is declared or comes from the first (local) file's footer at construction. */
export function readParquet<T = any>(pattern: FilePattern, options: ReadParquetOptions<T> = {}): PTransform<PBegin, PCollection<T>> {
  return new ReadParquet(pattern, options);
}

/** Parquet column compression. */
export type ParquetCompression = "snappy" | "zstd" | "gzip" | "brotli" | "lz4" | "none";

/** Options of {@link writeParquet}. */
export interface WriteParquetOptions {
  /** Appended to each shard's name; `.parquet` by default. */
  readonly suffix?: string;
  /** How many files to write; 1 by default. */
  readonly numShards?: number;
  /** Column compression; `snappy` by default. */
  readonly compression?: ParquetCompression;
  /** Rows per row group; 65536 by default. */
  readonly rowGroupRows?: number;
  /** Route rows that cannot be written (a string that is not UTF-8, fields other than the file's) to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
}

/** The sink behind {@link writeParquet}. */
export class ParquetSink extends CheckedFileSink {
  constructor(prefix: string, readonly parquetOptions: WriteParquetOptions = {}, readonly inputSchema: arrow.Schema | null = null) {
    super({ prefix, suffix: parquetOptions.suffix ?? ".parquet", numShards: parquetOptions.numShards ?? 1, deadLetter: parquetOptions.deadLetter }, inputSchema ?? "first-batch", "Parquet");
    const c = parquetOptions.compression;
    if (c !== undefined && !["snappy", "zstd", "gzip", "brotli", "lz4", "none"].includes(c)) {
      throw new IOError({ code: "BL_IO_BAD_OPTION", where: "writeParquet option compression", value: c, rule: "compression must be one of snappy, zstd, gzip, brotli, lz4, none", fix: 'pass e.g. { compression: "zstd" }' });
    }
  }
  protected async openFile(staged: string): Promise<FileShardWriter> {
    const batches: arrow.RecordBatch[] = [];
    let out: ByteFileWriter | null = null;
    return {
      write: (batch) => {
        batches.push(batch);
      },
      finish: async () => {
        const s = this.inputSchema ?? batches[0]?.schema ?? new arrow.Schema([]);
        const table = new arrow.Table(s, batches.map((b) => (b.schema === s ? b : withSchema(b, s, staged))));
        const c = this.parquetOptions.compression ?? "snappy";
        let bytes: Uint8Array;
        try {
          bytes = withParquetWasmSync((p) => {
            const compression = {
              snappy: p.Compression.SNAPPY, zstd: p.Compression.ZSTD, gzip: p.Compression.GZIP,
              brotli: p.Compression.BROTLI, lz4: p.Compression.LZ4_RAW, none: p.Compression.UNCOMPRESSED,
            }[c];
            const props = new p.WriterPropertiesBuilder()
              .setMaxRowGroupSize(this.parquetOptions.rowGroupRows ?? 65536)
              .setCompression(compression)
              .build();
            return p.writeParquet(p.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), props);
          });
        } catch (e) {
          throw new IOError({ code: "BL_PARQUET_WRITE", where: staged, value: s.fields.map((f) => `${f.name}: ${f.type}`).join(", "), rule: `parquet-wasm could not write the data: ${String((e as Error)?.message ?? e)}`, fix: "check the column types are supported by Parquet", cause: e });
        }
        batches.length = 0;
        out = new ByteFileWriter(staged, "none");
        await out.write(bytes);
        await out.end();
      },
      destroy: () => {
        batches.length = 0;
        out?.destroy();
      },
    };
  }
}

class WriteParquet extends PTransform<PCollection<any>, PCollection<{ file: string }> | WrittenWithDeadLetters> {
  constructor(readonly prefix: string, readonly options: WriteParquetOptions) {
    super("WriteParquet");
  }
  expand(input: PCollection<any>, ctx: ExpandContext): PCollection<{ file: string }> | WrittenWithDeadLetters {
    const sink = new ParquetSink(this.prefix, this.options, input.schema);
    return declareCheckedWrite(ctx, input, { format: "parquet", prefix: this.prefix, suffix: sink.options.suffix, numShards: sink.numShards ?? null, compression: this.options.compression ?? "snappy" }, sink);
  }
}

/** Writes rows as Parquet files (a shard is buffered in memory until it closes); returns the written paths. */
export function writeParquet(prefix: string, options?: WriteParquetOptions & { readonly deadLetter?: false }): PTransform<PCollection<any>, PCollection<{ file: string }>>;
/** Writes rows as Parquet files (see above); rows it cannot write (a string that is not UTF-8, fields other than the file's) go to `deadLetter`. */
export function writeParquet(prefix: string, options: WriteParquetOptions & { readonly deadLetter: true }): PTransform<PCollection<any>, WrittenWithDeadLetters>;
export function writeParquet(prefix: string, options: WriteParquetOptions = {}): PTransform<PCollection<any>, any> {
  return new WriteParquet(prefix, options);
}
