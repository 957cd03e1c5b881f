/**
 * What the file formats share: declaring read and write primitives, their dead letters, schema
 * normalisation and batch helpers.
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../sdk/batch";
import { makeRecordBatch } from "../../sdk/columns";
import { BeamlineError, IOError, SchemaError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { DEAD_LETTER_TAG, deadLetterSchema, recordDeadLetter, type DeadLetter } from "../../sdk/dead-letter";
import { rowsToRecordBatch } from "../../sdk/rows";
import { schema, schemaToJson, t } from "../../sdk/schema";
import { WRITE_URN, type Sink } from "../../sdk/sink";
import { READ_URN, type BoundedSource, type SourceChunk } from "../../sdk/source";
import type { ExpandContext } from "../../sdk/transform";

/** @internal A record a file read could not read: where it was, its raw text and why. */
export interface BadRecord {
  /** The file it came from. */
  readonly file: string;
  /** Its 1-based line number (the first line of a multi-line record). */
  readonly line: number;
  /** The raw text of the record. */
  readonly raw: string;
  /** Why it could not be read. */
  readonly error: string;
}

/** @internal The error of a line holding bytes that are not UTF-8 (a reader would otherwise replace them with U+FFFD). */
export const NOT_UTF8 = "the line is not valid UTF-8 (it holds bytes that decoding would replace with U+FFFD)";

/** @internal How to fix a line that is not UTF-8. */
export const NOT_UTF8_FIX = "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)";

/** The schema of what write transforms return: one row `{file}` per published file. */
export const writtenFileSchema = schema({ file: t.string() });

/** What a write with `deadLetter: true` gives: the published files, and the rows the sink could not write. */
export type WrittenWithDeadLetters = {
  /** One row `{file}` per published file (none for a sink that publishes no files, such as Kafka's). */
  readonly written: PCollection<{ file: string }>;
  /** The rows the sink could not write, with the reason and the file or topic they were for. */
  readonly deadLetter: PCollection<DeadLetter>;
};

/** @internal Declares a read primitive for a bounded source. */
export function declareRead(
  ctx: ExpandContext,
  payload: { [k: string]: JsonValue },
  outSchema: arrow.Schema | null,
  source: BoundedSource,
  withDeadLetter: boolean,
): Record<string, PCollection<any>> {
  if (outSchema) checkSchemaSupported(outSchema, String(payload.format ?? "read"));
  const outputs: Record<string, { schema: arrow.Schema | null; bounded: true }> = { main: { schema: outSchema, bounded: true } };
  if (withDeadLetter) outputs[DEAD_LETTER_TAG] = { schema: deadLetterSchema.arrow, bounded: true };
  return ctx.primitive({ urn: READ_URN, payload: { ...payload, deadLetter: withDeadLetter }, inputs: {}, outputs, fn: source });
}

/** @internal Declares a write primitive for a sink; returns the PCollection of published file paths. */
export function declareWrite(ctx: ExpandContext, input: PCollection<any>, payload: { [k: string]: JsonValue }, sink: Sink): PCollection<{ file: string }> {
  return declareWriteWithDeadLetter(ctx, input, payload, sink, false).written;
}

/**
 * @internal Declares a write primitive for a sink, with a `deadLetter` output when `withDeadLetter`
 * (its writers get `WriterContext.deadLetter`); returns the published file paths and the dead letters.
 */
export function declareWriteWithDeadLetter(ctx: ExpandContext, input: PCollection<any>, payload: { [k: string]: JsonValue }, sink: Sink, withDeadLetter: boolean): WrittenWithDeadLetters {
  const outputs: Record<string, { schema: arrow.Schema; bounded: boolean }> = { main: { schema: writtenFileSchema.arrow, bounded: input.bounded } };
  if (withDeadLetter) outputs[DEAD_LETTER_TAG] = { schema: deadLetterSchema.arrow, bounded: input.bounded };
  const out = ctx.primitive({ urn: WRITE_URN, payload: withDeadLetter ? { ...payload, deadLetter: true } : payload, inputs: { main: input }, outputs, fn: sink });
  return { written: out.main as PCollection<{ file: string }>, deadLetter: out[DEAD_LETTER_TAG] as PCollection<DeadLetter> };
}

/** @internal Throws a SchemaError naming the source when a schema holds a type Beamline cannot carry. */
export function checkSchemaSupported(s: arrow.Schema, where: string): void {
  try {
    schemaToJson(s);
  } catch (e) {
    if (e instanceof BeamlineError) {
      throw new SchemaError({
        code: "BL_IO_UNSUPPORTED_TYPE",
        where,
        value: s.fields.map((f) => `${f.name}: ${f.type}`).join(", "),
        rule: `the data has a column type Beamline schemas do not support (${e.rule})`,
        fix: "convert the column to a supported type (strings, numbers, bools, timestamps, binary, lists, structs) before reading",
        cause: e,
      });
    }
    throw e;
  }
}

/** @internal The same schema with every field nullable (Beamline schemas are all-nullable). */
export function nullableSchema(s: arrow.Schema): arrow.Schema {
  if (s.fields.every((f) => f.nullable && nullableType(f.type) === f.type)) return s;
  return new arrow.Schema(s.fields.map(nullableField), s.metadata);
}

function nullableField(f: arrow.Field): arrow.Field {
  return new arrow.Field(f.name, nullableType(f.type), true, f.metadata);
}

function nullableType(type: arrow.DataType): arrow.DataType {
  if (type instanceof arrow.Struct) {
    if (type.children.every((c) => c.nullable && nullableType(c.type) === c.type)) return type;
    return new arrow.Struct(type.children.map(nullableField));
  }
  if (type instanceof arrow.List) {
    const c = type.children[0];
    if (c.nullable && nullableType(c.type) === c.type) return type;
    return new arrow.List(nullableField(c));
  }
  return type;
}

/** @internal Re-labels a batch's columns with `s` (same types, possibly different nullability or metadata). */
export function withSchema(batch: arrow.RecordBatch, s: arrow.Schema, where: string): arrow.RecordBatch {
  if (batch.schema === s) return batch;
  const children = batch.data.children;
  if (children.length !== s.fields.length || s.fields.some((f, i) => !sameType(f.type, children[i].type))) {
    throw new IOError({
      code: "BL_IO_SCHEMA_CHANGED",
      where,
      value: batch.schema.fields.map((f) => `${f.name}: ${f.type}`).join(", "),
      rule: `the data's schema differs from the schema read at pipeline construction (${s.fields.map((f) => `${f.name}: ${f.type}`).join(", ")})`,
      fix: "make every matched file have the same schema, or read them with separate transforms",
    });
  }
  return makeRecordBatch(s, children.map((c, i) => retype(c, s.fields[i].type)), batch.numRows);
}

/** Whether two types are the same; both ways, as Arrow's comparison asks `b instanceof a.constructor` and a decoded `Float` is not an instance of the `Float64` a declared schema holds. */
function sameType(a: arrow.DataType, b: arrow.DataType): boolean {
  return arrow.util.compareTypes(a, b) || arrow.util.compareTypes(b, a);
}

function retype(data: arrow.Data, type: arrow.DataType): arrow.Data {
  if (data.type === type) return data;
  if (type instanceof arrow.Struct || type instanceof arrow.List) {
    return data.clone(type, data.offset, data.length, data.nullCount, data as any, data.children.map((c, i) => retype(c, type.children[i].type)));
  }
  return data.clone(type);
}

/** @internal A utf8 column straight from bytes and offsets. */
export function utf8Data(bytes: Uint8Array, offsets: Int32Array, length: number, nullBitmap?: Uint8Array, nullCount = 0): arrow.Data<arrow.Utf8> {
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount, nullBitmap, valueOffsets: offsets, data: bytes });
}

/** @internal Builds a batch of the dead letters of `transform`'s bad records, in the one dead-letter schema. */
export function deadLetterChunk(transform: string, records: readonly BadRecord[]): SourceChunk {
  const letters = records.map((r) => recordDeadLetter(transform, { file: r.file, line: r.line }, r.raw, "IOError", r.error));
  return { tag: DEAD_LETTER_TAG, batch: globalBatch(rowsToRecordBatch(letters, deadLetterSchema.arrow, `dead letters of transform "${transform}"`)) };
}

/** @internal The fix offered for malformed rows. */
export const BAD_ROW_FIX = "fix the input, or pass { deadLetter: true } to route bad rows to a dead-letter output";

/** @internal Validates a positive-integer option. */
export function positiveIntOption(name: string, v: unknown): void {
  if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) {
    throw new IOError({ code: "BL_IO_BAD_OPTION", where: `option ${name}`, value: v, rule: `${name} must be a positive integer`, fix: `pass ${name}: 1 or more` });
  }
}
