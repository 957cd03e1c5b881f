/**
 * File sinks that check rows before they write them: a string that is not valid UTF-8 (which decoding
 * would silently replace with U+FFFD), and, for formats with one schema per file (CSV, Parquet, Arrow),
 * a row whose fields differ from the file's schema. Such rows fail the run naming the row, or, with
 * `{ deadLetter: true }`, go to the write's dead-letter output (see rejected-rows.ts) and the rest is
 * written. The checks are per column (one native UTF-8 scan of a string column's bytes); rows are
 * looked at one by one only in a column that holds bytes that are not UTF-8.
 */
import { isUtf8 } from "node:buffer";
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import { encodedBytes } from "../../sdk/encoded-batch";
import { IOError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import type { SinkWriter, WriterContext } from "../../sdk/sink";
import type { ExpandContext } from "../../sdk/transform";
import { declareWriteWithDeadLetter, type WrittenWithDeadLetters } from "./common";
import { FileSink, type FileSinkOptions } from "./files";
import { rejectedRowsOf, withoutRejectedRows, type RejectedRow } from "./rejected-rows";

/** Options of a checked file sink: a file sink's, and whether rows it cannot write go to a dead-letter output. */
export interface CheckedFileSinkOptions extends FileSinkOptions {
  /** Route rows that cannot be written to the write's `deadLetter` output instead of failing the run. */
  readonly deadLetter?: boolean;
}

/** A file sink that routes the rows it cannot write (see the file's comment). */
export abstract class CheckedFileSink extends FileSink {
  /** Whether rows that cannot be written go to a dead-letter output. */
  readonly deadLetter: boolean;

  /**
   * `fileSchema`: the schema every row of a file must have (the input's, or, when it is inferred at
   * run time, that of the first batch a writer gets); null for formats where each row stands alone.
   */
  constructor(options: CheckedFileSinkOptions, private readonly fileSchema: arrow.Schema | null | "first-batch", private readonly format: string) {
    super(options);
    this.deadLetter = options.deadLetter ?? false;
  }

  /** Opens a writer that checks each batch, routing or failing on the rows it cannot write. */
  override async createWriter(shard: WriterContext): Promise<SinkWriter<JsonValue>> {
    const writer = await super.createWriter(shard);
    const rejected = rejectedRowsOf(shard, this.deadLetter, `Write${this.format}`);
    const target = { file: this.finalPath(shard.index, shard.count) };
    let expected = this.fileSchema === "first-batch" ? null : this.fileSchema;
    const check = this.fileSchema !== null;
    return {
      write: (batch: ElementBatch) => {
        if (encodedBytes(batch) || batch.data.numRows === 0) return writer.write(batch);
        if (check) expected ??= batch.data.schema;
        const kept = withoutRejectedRows(batch, unwritableRows(batch.data, check ? expected : null, target.file), rejected, target);
        return kept ? writer.write(kept) : undefined;
      },
      prepareCommit: (checkpointId) => writer.prepareCommit(checkpointId),
      abort: () => writer.abort(),
    };
  }
}

/** Throws the error of the first row of `batch` that cannot be written (for sinks that encode batches apart from their writers). */
export function checkWritable(batch: arrow.RecordBatch, file: string): void {
  const rows = unwritableRows(batch, null, file);
  if (rows.length > 0) throw rows[0].error;
}

/** The rows of `batch` that cannot be written to `file`: all of them when its fields differ from `expected`, else those with a string that is not UTF-8. */
function unwritableRows(batch: arrow.RecordBatch, expected: arrow.Schema | null, file: string): RejectedRow[] {
  const n = batch.numRows;
  if (expected && expected !== batch.schema && !sameFields(expected, batch.schema)) {
    const error = new IOError({
      code: "BL_IO_UNWRITABLE_ROW", where: file, value: describe(batch.schema),
      rule: `every row of a file has the file's fields (${describe(expected)}); these rows have others`,
      fix: "give the rows one schema before the write (declare the schema of the map that makes them), or pass { deadLetter: true } to route such rows to a dead-letter output",
    });
    return Array.from({ length: n }, (_, row) => ({ row, error }));
  }
  const out: RejectedRow[] = [];
  let seen: Uint8Array | null = null;
  batch.schema.fields.forEach((f, c) => {
    const data = batch.data.children[c];
    if (data.type.typeId !== arrow.Type.Utf8) return;
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    if (isUtf8(values.subarray(offsets[0], offsets[n]))) return;
    for (let row = 0; row < n; row++) {
      const bytes = values.subarray(offsets[row], offsets[row + 1]);
      if ((seen && seen[row]) || !data.getValid(row) || isUtf8(bytes)) continue;
      (seen ??= new Uint8Array(n))[row] = 1;
      const error = new IOError({
        code: "BL_IO_UNWRITABLE_ROW", where: `${file}, row ${row} of a batch of ${n}`, value: Buffer.from(bytes).toString("latin1"),
        rule: `field ${f.name} is a string that is not valid UTF-8 (writing it would replace its bytes with U+FFFD)`,
        fix: "decode the text from its real encoding before the write (e.g. latin1), or pass { deadLetter: true } to route such rows to a dead-letter output",
      });
      out.push({ row, error, raw: bytes.slice() });
    }
  });
  return out.sort((a, b) => a.row - b.row);
}

function sameFields(a: arrow.Schema, b: arrow.Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i].name && arrow.util.compareTypes(f.type, b.fields[i].type));
}

function describe(s: arrow.Schema): string {
  return s.fields.map((f) => `${f.name}: ${f.type}`).join(", ");
}

/** @internal Declares the write primitive of a checked file sink: its published files, and its dead letters when the sink routes them. */
export function declareCheckedWrite(ctx: ExpandContext, input: PCollection<any>, payload: { [k: string]: JsonValue }, sink: CheckedFileSink): PCollection<{ file: string }> | WrittenWithDeadLetters {
  const out = declareWriteWithDeadLetter(ctx, input, payload, sink, sink.deadLetter);
  return sink.deadLetter ? out : out.written;
}
