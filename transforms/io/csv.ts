/**
 * CSV files (RFC 4180): quoted fields may hold delimiters, doubled quotes and newlines. A header row
 * names the fields. With a declared schema each value is converted to its field's type; without one,
 * every field is a string. An empty unquoted field is null; a quoted empty field (`""`) is the empty
 * string. Blank lines (outside quotes) are skipped.
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../../sdk/batch";
import { makeRecordBatch, valueReader, vectorFromValues } from "../../sdk/columns";
import { IOError, SchemaError, describeValue } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { describeType, isScalarSchema, type RowSchema } from "../../sdk/schema";
import { formatTimestamp } from "../../sdk/time";
import type { BoundedSource, ReadContext, SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { checkWritable, CheckedFileSink, declareCheckedWrite } from "./checked-file-sink";
import type { WrittenWithDeadLetters } from "./common";
import { BAD_ROW_FIX, BadRecord, deadLetterChunk, declareRead, NOT_UTF8 } from "./common";
import type { WithDeadLetters } from "../../sdk/dead-letter";
import {
  backlogReporter, ByteFileWriter, Compression, DEFAULT_BATCH_ROWS, detectCompression, expandPattern, FilePattern, FileShardWriter,
  filesToParts, gzipSuffix, lineAt, outputCompression, partFile, patternList, readHeadSync, readLineChunks,
} from "./files";
import { jsonReplacer } from "./to-json";

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** @internal One parsed record: fields (null for empty unquoted fields), its first line and raw text. */
export interface CsvRecord {
  readonly line: number;
  readonly raw: string;
  readonly fields: (string | null)[];
}

/** @internal A record that could not be parsed. */
export interface CsvBadRecord {
  readonly line: number;
  readonly raw: string;
  readonly error: string;
  readonly value: string;
}

const INCOMPLETE = Symbol("incomplete");

/**
 * @internal Parses one complete record. Returns INCOMPLETE when a quoted field is still open at the end.
 */
export function parseCsvRecord(s: string, d: string): (string | null)[] | typeof INCOMPLETE | { error: string; value: string } {
  const fields: (string | null)[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.startsWith('"', i)) {
      let j = i + 1;
      let buf = "";
      for (;;) {
        const k = s.indexOf('"', j);
        if (k < 0) return INCOMPLETE;
        buf += s.slice(j, k);
        if (s.charCodeAt(k + 1) === 34) {
          buf += '"';
          j = k + 2;
          continue;
        }
        i = k + 1;
        break;
      }
      fields.push(buf);
      if (i === n) return fields;
      if (!s.startsWith(d, i)) {
        return {
          error: `unexpected ${describeValue(s[i])} after the closing quote of field ${fields.length} (a quoted field must be followed by the delimiter ${describeValue(d)} or the end of the line)`,
          value: s.slice(Math.max(0, i - 20), i + 20),
        };
      }
      i += d.length;
      if (i === n) { fields.push(null); return fields; }
      continue;
    }
    const k = s.indexOf(d, i);
    const field = k < 0 ? s.slice(i) : s.slice(i, k);
    if (field.includes('"')) {
      return { error: `field ${fields.length + 1} holds a quote but is not quoted (RFC 4180: quote the whole field and double the quotes inside it)`, value: field };
    }
    fields.push(field === "" ? null : field);
    if (k < 0) return fields;
    i = k + d.length;
    if (i === n) { fields.push(null); return fields; }
  }
}

/**
 * @internal Whether a record is still open at the end of `s` (a quoted field runs past it), scanning
 * as {@link parseCsvRecord} parses: from the start of a record, or with `open`, from inside a quoted
 * field that an earlier line opened. A record that is bad before its end is complete (it is reported).
 * One pass over `s`: each character is looked at a bounded number of times.
 */
export function csvOpenAfter(s: string, d: string, open: boolean): boolean {
  const n = s.length;
  let i = 0;
  let quote = -1; // the next quote at or after i in an unquoted field, once searched
  for (;;) {
    if (open || s.charCodeAt(i) === 34) {
      let j = open ? 0 : i + 1;
      open = false;
      for (;;) {
        const k = s.indexOf('"', j);
        if (k < 0) return true;
        if (s.charCodeAt(k + 1) === 34) {
          j = k + 2;
          continue;
        }
        i = k + 1;
        break;
      }
      if (i === n || !s.startsWith(d, i)) return false; // the end of the record, or a bad one
      i += d.length;
      if (i === n) return false;
      continue;
    }
    if (quote < i) quote = s.indexOf('"', i);
    if (quote < 0) return false; // no quote left: the record ends with this line
    const k = s.indexOf(d, i);
    if (k < 0 || quote < k) return false; // a quote inside an unquoted field: a bad record
    i = k + d.length;
    if (i === n) return false;
  }
}

/** @internal How far a quoted field may run before the record is reported as an unterminated quote. */
export const MAX_RECORD_CHARS = 4 << 20;

/** A physical line of a CSV file, without its terminator. */
interface CsvLine {
  readonly text: string;
  readonly line: number;
  readonly crlf: boolean;
  /** Whether the line's bytes are not valid UTF-8 (its text holds U+FFFD in their place). */
  readonly notUtf8: boolean;
}

/**
 * @internal Assembles records from physical lines (a quoted field may span lines), reporting bad
 * records with their first line. Linear in the input: each line is scanned once when it arrives
 * ({@link csvOpenAfter}) and parsed once when its record is complete; when a quote is never closed,
 * its first line is reported and the lines after it are scanned once more, as records of their own
 * (none of them can leave a quote open then, so this happens at most once per line).
 */
export class CsvRecordAssembler {
  private pending: CsvLine[] = [];
  private pendingChars = 0;
  /** The first pending line that is not valid UTF-8, if any: its record is reported, not read. */
  private pendingNotUtf8: number | null = null;
  /** Characters scanned and parsed so far: the work done, which stays within a small multiple of the input. */
  charsExamined = 0;

  constructor(
    private readonly delimiter: string,
    private readonly onRecord: (r: CsvRecord) => void,
    private readonly onBad: (b: CsvBadRecord) => void,
    private readonly skipBlank = true,
  ) {}

  /** Whether no record is open (so the next line starts a record). */
  get idle(): boolean {
    return this.pending.length === 0;
  }

  /** Feeds one physical line (without its terminator); `notUtf8` when its bytes were not valid UTF-8. */
  feed(text: string, line: number, crlf: boolean, notUtf8 = false): void {
    this.take([{ text, line, crlf, notUtf8 }]);
  }

  /** Ends the input: an open quoted field is an unterminated quote. */
  end(): void {
    while (this.pending.length > 0) this.take(this.unterminated());
  }

  private take(lines: CsvLine[]): void {
    for (let at = 0; at < lines.length; at++) {
      const l = lines[at];
      if (this.pending.length === 0 && l.text === "" && this.skipBlank) continue; // blank line
      this.charsExamined += l.text.length;
      const open = csvOpenAfter(l.text, this.delimiter, this.pending.length > 0);
      this.pending.push(l);
      this.pendingChars += l.text.length + 2;
      if (l.notUtf8) this.pendingNotUtf8 ??= l.line;
      if (open) {
        if (this.pendingChars > MAX_RECORD_CHARS) {
          lines = [...this.unterminated(), ...lines.slice(at + 1)];
          at = -1;
        }
        continue;
      }
      const first = this.pending[0].line;
      const raw = this.rawText();
      const notUtf8 = this.pendingNotUtf8;
      this.pending = [];
      this.pendingChars = 0;
      this.pendingNotUtf8 = null;
      if (notUtf8 !== null) {
        this.onBad({ line: first, raw, error: notUtf8 === first ? NOT_UTF8 : `${NOT_UTF8}: line ${notUtf8}`, value: raw });
        continue;
      }
      this.charsExamined += raw.length;
      const parsed = parseCsvRecord(raw, this.delimiter);
      if (Array.isArray(parsed)) this.onRecord({ line: first, raw, fields: parsed });
      else if (parsed !== INCOMPLETE) this.onBad({ line: first, raw, error: parsed.error, value: parsed.value });
      else throw new Error(`internal: CSV record at line ${first} scanned complete but parsed open`);
    }
  }

  private rawText(): string {
    if (this.pending.length === 1) return this.pending[0].text;
    let s = this.pending[0].text;
    for (let i = 1; i < this.pending.length; i++) s += (this.pending[i - 1].crlf ? "\r\n" : "\n") + this.pending[i].text;
    return s;
  }

  /** Reports the first pending line as an unterminated quote; returns the lines after it, to be read as records of their own. */
  private unterminated(): CsvLine[] {
    const [first, ...rest] = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    this.pendingNotUtf8 = null;
    this.onBad({
      line: first.line,
      raw: first.text,
      error: `a quoted field is never closed (unterminated quote${rest.length ? `; it ran over ${rest.length + 1} lines` : ""})`,
      value: first.text,
    });
    return rest;
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion
// ---------------------------------------------------------------------------------------------

type Converter = (s: string) => unknown;

class ConversionError extends Error {}

const INT_RE = /^[+-]?\d+$/;

function converterFor(type: arrow.DataType, field: string, where: string): Converter {
  switch (type.typeId) {
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return (s) => s;
    case arrow.Type.Float:
      return (s) => {
        const x = s.trim();
        const v = Number(x);
        if (x === "" || (Number.isNaN(v) && x !== "NaN")) throw new ConversionError(`field "${field}" must be a number`);
        return v;
      };
    case arrow.Type.Int: {
      const it = type as arrow.Int;
      if (it.bitWidth === 64) {
        return (s) => {
          const x = s.trim();
          if (!INT_RE.test(x)) throw new ConversionError(`field "${field}" must be an integer`);
          const b = BigInt(x);
          const lo = it.isSigned ? -(2n ** 63n) : 0n;
          const hi = it.isSigned ? 2n ** 63n - 1n : 2n ** 64n - 1n;
          if (b < lo || b > hi) throw new ConversionError(`field "${field}" must be an integer within ${describeType(type)} range`);
          return Number.isSafeInteger(Number(b)) ? Number(b) : b;
        };
      }
      const min = it.isSigned ? -(2 ** (it.bitWidth - 1)) : 0;
      const max = it.isSigned ? 2 ** (it.bitWidth - 1) - 1 : 2 ** it.bitWidth - 1;
      return (s) => {
        const x = s.trim();
        const v = Number(x);
        if (!INT_RE.test(x) || v < min || v > max) throw new ConversionError(`field "${field}" must be an integer from ${min} to ${max}`);
        return v;
      };
    }
    case arrow.Type.Bool:
      return (s) => {
        const x = s.trim().toLowerCase();
        if (x === "true" || x === "1") return true;
        if (x === "false" || x === "0") return false;
        throw new ConversionError(`field "${field}" must be a boolean (true, false, 1 or 0)`);
      };
    case arrow.Type.Timestamp:
      return (s) => parseTimestamp(s, field);
    default:
      throw new SchemaError({
        code: "BL_CSV_UNSUPPORTED_TYPE",
        where,
        value: `${field}: ${describeType(type)}`,
        rule: "CSV fields hold flat values: strings, numbers, bools or timestamps",
        fix: `declare "${field}" as t.string() and parse it in a map`,
      });
  }
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** @internal Parses a timestamp: integer milliseconds since the epoch, or ISO-8601 (UTC unless a zone is given). */
export function parseTimestamp(s: string, field: string): number {
  const x = s.trim();
  if (INT_RE.test(x)) return Number(x);
  const m = ISO_RE.exec(x);
  if (m) {
    let text = x.replace(" ", "T");
    if (m[1] && !m[4]) text += "Z";
    const v = Date.parse(text);
    if (!Number.isNaN(v)) return v;
  }
  throw new ConversionError(`field "${field}" must be a timestamp (ISO-8601 like 2024-01-31T12:00:00Z, or milliseconds since the epoch)`);
}

// ---------------------------------------------------------------------------------------------
// Source
// ---------------------------------------------------------------------------------------------

/** Options of {@link readCsv}. */
export interface ReadCsvOptions<T = Record<string, unknown>> {
  /** Field names and types; without one, every field is a string named by the header (or `column1`, `column2`, …). */
  readonly schema?: RowSchema<T>;
  /** Whether the first line of each file names the fields; true by default. */
  readonly header?: boolean;
  /** The field delimiter; `,` by default. */
  readonly delimiter?: string;
  /** Route malformed rows to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
  /** `auto` (by the `.gz` extension, the default), `gzip` or `none`. */
  readonly compression?: Compression;
}

interface CsvConfig {
  readonly schema: arrow.Schema;
  readonly header: boolean;
  readonly delimiter: string;
  readonly deadLetter: boolean;
  readonly compression: Compression;
  readonly where: string;
  /** The transform's unique name, which its dead letters carry. */
  readonly transform: string;
}

/** The source behind {@link readCsv}: one part per file. */
export class CsvSource implements BoundedSource {
  private readonly converters: Converter[];

  constructor(readonly pattern: FilePattern, private readonly config: CsvConfig) {
    this.converters = config.schema.fields.map((f) => converterFor(f.type, f.name, config.where));
  }

  /** One part per matched file. */
  async split(_desiredParts: number): Promise<JsonValue[]> {
    return filesToParts(this.pattern, this.config.where);
  }

  /** Reads a file's records in batches; positions are byte offsets plus line numbers (and the header). */
  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const file = partFile(part);
    const { schema, delimiter, header, deadLetter } = this.config;
    const backlog = backlogReporter(ctx, part, detectCompression(file, this.config.compression) === "gzip");
    const nFields = schema.fields.length;
    const columns: unknown[][] = schema.fields.map(() => []);
    let rows = 0;
    let letters: BadRecord[] = [];
    let mapping: number[] = schema.fields.map((_, i) => i);
    let headerSeen = false;
    const pos = from && typeof from === "object" && !Array.isArray(from) ? from : null;
    if (pos && Array.isArray(pos.mapping)) {
      mapping = pos.mapping as number[];
      headerSeen = true;
    }

    const fail = (line: number, raw: string, error: string, value: unknown) => {
      if (deadLetter) {
        letters.push({ file, line, raw, error });
        return;
      }
      throw new IOError({ code: "BL_CSV_MALFORMED", where: `${file}:${line}`, value, rule: error, fix: BAD_ROW_FIX });
    };

    const onRecord = (r: CsvRecord) => {
      if (header && !headerSeen) {
        headerSeen = true;
        mapping = this.headerMapping(file, r);
        return;
      }
      if (r.fields.length !== nFields) {
        fail(r.line, r.raw, `the row has ${r.fields.length} field${r.fields.length === 1 ? "" : "s"} but ${nFields} ${header ? "header columns" : "schema fields"} were expected`, r.raw);
        return;
      }
      const values = new Array<unknown>(nFields);
      for (let f = 0; f < nFields; f++) {
        const text = r.fields[mapping[f]];
        if (text === null) { values[f] = null; continue; }
        try {
          values[f] = this.converters[f](text);
        } catch (e) {
          if (e instanceof ConversionError) { fail(r.line, r.raw, e.message, text); return; }
          throw e;
        }
      }
      for (let f = 0; f < nFields; f++) columns[f].push(values[f]);
      rows++;
    };
    const onBad = (b: CsvBadRecord) => fail(b.line, b.raw, b.error, b.value);
    const assembler = new CsvRecordAssembler(delimiter, onRecord, onBad, nFields > 1);

    const flush = function* (position: JsonValue | undefined, self: CsvSource): Generator<SourceChunk> {
      if (letters.length > 0) {
        yield { ...deadLetterChunk(self.config.transform, letters), ...(position !== undefined && rows === 0 ? { position } : {}) };
        letters = [];
      }
      if (rows > 0) {
        yield { batch: globalBatch(self.buildBatch(columns, rows, file)), ...(position !== undefined ? { position } : {}) };
        for (const c of columns) c.length = 0;
        rows = 0;
      }
    };

    const startFrom = pos && typeof pos.offset === "number" && typeof pos.line === "number" ? { offset: pos.offset, line: pos.line } : null;
    for await (const chunk of readLineChunks(file, { compression: this.config.compression, from: startFrom, maxLines: DEFAULT_BATCH_ROWS })) {
      let nextInvalid = 0;
      for (let i = 0; i < chunk.count; i++) {
        const notUtf8 = chunk.invalidUtf8[nextInvalid] === i;
        if (notUtf8) nextInvalid++;
        assembler.feed(lineAt(chunk, i), chunk.firstLine + i, chunk.crlf[i] === 1, notUtf8);
      }
      backlog(chunk.endOffset);
      if (rows >= DEFAULT_BATCH_ROWS || letters.length > 0) {
        // A position is exact only when no record is open across the chunk boundary.
        const position = assembler.idle && (headerSeen || !header)
          ? { offset: chunk.endOffset, line: chunk.firstLine + chunk.count, mapping }
          : undefined;
        yield* flush(position, this);
      }
    }
    assembler.end();
    yield* flush(undefined, this);
  }

  private headerMapping(file: string, r: CsvRecord): number[] {
    const names = r.fields.map(headerName);
    const seen = new Map<string, number>();
    names.forEach((n, i) => {
      if (seen.has(n)) {
        throw new IOError({ code: "BL_CSV_BAD_HEADER", where: `${file}:${r.line}`, value: n, rule: `the header names column ${describeValue(n)} twice`, fix: "give every column a distinct name" });
      }
      seen.set(n, i);
    });
    const fields = this.config.schema.fields;
    const missing = fields.filter((f) => !seen.has(f.name)).map((f) => f.name);
    if (missing.length > 0) {
      throw new IOError({
        code: "BL_CSV_BAD_HEADER",
        where: `${file}:${r.line}`,
        value: r.raw,
        rule: `the header lacks the schema field${missing.length > 1 ? "s" : ""} ${missing.map((m) => describeValue(m)).join(", ")}`,
        fix: "add the column to the file, remove the field from the schema, or pass { header: false } for positional fields",
      });
    }
    const known = new Set(fields.map((f) => f.name));
    const extra = names.filter((n) => !known.has(n));
    if (extra.length > 0) {
      throw new IOError({
        code: "BL_CSV_BAD_HEADER",
        where: `${file}:${r.line}`,
        value: r.raw,
        rule: `the header has column${extra.length > 1 ? "s" : ""} ${extra.map((m) => describeValue(m)).join(", ")} that the schema does not declare`,
        fix: "declare the column in the schema (t.string() reads it as text)",
      });
    }
    return fields.map((f) => seen.get(f.name)!);
  }

  private buildBatch(columns: unknown[][], rows: number, file: string): arrow.RecordBatch {
    const s = this.config.schema;
    const data = s.fields.map((f, i) => vectorFromValues(columns[i], f.type, `${this.config.where} (${file})`).data[0]);
    return makeRecordBatch(s, data, rows);
  }
}

/** @internal Reads the first record of the first matched file, synchronously (the header, or a row to count fields). */
export function firstCsvRecord(pattern: FilePattern, delimiter: string, compression: Compression, where: string): { file: string; record: CsvRecord | null } {
  const file = expandPattern(pattern, where)[0];
  const head = readHeadSync(file, detectCompression(file, compression), 1 << 20).toString("utf8").replace(/^\uFEFF/, "");
  let record: CsvRecord | null = null;
  let bad: CsvBadRecord | null = null;
  const assembler = new CsvRecordAssembler(delimiter, (r) => { record ??= r; }, (b) => { bad ??= b; });
  const lines = head.split("\n");
  for (let i = 0; i < lines.length && !record && !bad; i++) {
    const text = lines[i];
    const crlf = text.endsWith("\r") && i < lines.length - 1;
    assembler.feed(crlf ? text.slice(0, -1) : text, i + 1, crlf);
  }
  if (!record && !bad) assembler.end();
  if (!record && bad) {
    const b = bad as CsvBadRecord;
    throw new IOError({ code: "BL_CSV_MALFORMED", where: `${file}:${b.line}`, value: b.value, rule: b.error, fix: "fix the first row of the file, or declare the schema" });
  }
  return { file, record };
}

/** A header cell's field name: the text, or `columnN` for an empty cell. */
function headerName(f: string | null, i: number): string {
  return f ?? `column${i + 1}`;
}

function stringSchema(names: string[]): arrow.Schema {
  return new arrow.Schema(names.map((n) => new arrow.Field(n, new arrow.Utf8(), true)));
}

class ReadCsv extends PTransform<PBegin, any> {
  constructor(readonly pattern: FilePattern, readonly options: ReadCsvOptions<any>) {
    super("ReadCsv");
  }
  expand(_input: PBegin, ctx: ExpandContext): any {
    const o = this.options;
    const where = `transform "${ctx.name}"`;
    const delimiter = o.delimiter ?? ",";
    if (typeof delimiter !== "string" || delimiter === "" || /["\r\n]/.test(delimiter)) {
      throw new IOError({ code: "BL_IO_BAD_OPTION", where: `${where} option delimiter`, value: delimiter, rule: "the delimiter must be a non-empty string without quotes or line breaks", fix: 'pass e.g. { delimiter: ";" } or { delimiter: "\\t" }' });
    }
    const header = o.header ?? true;
    const compression = o.compression ?? "auto";
    let s: arrow.Schema;
    if (o.schema) {
      s = o.schema.arrow;
      if (isScalarSchema(s)) {
        throw new SchemaError({ code: "BL_CSV_SCALAR_SCHEMA", where, value: "scalarSchema(...)", rule: "CSV rows are records; a scalar schema has no field names", fix: "declare schema({ name: t.string(), ... }), or use readText for one value per line" });
      }
    } else {
      const { file, record } = firstCsvRecord(this.pattern, delimiter, compression, where);
      if (!record) {
        throw new IOError({ code: "BL_CSV_EMPTY", where: file, value: file, rule: "cannot tell the CSV columns: the first file is empty", fix: "declare the schema, e.g. { schema: schema({ name: t.string() }) }" });
      }
      s = stringSchema(header ? record.fields.map(headerName) : record.fields.map((_, i) => `column${i + 1}`));
    }
    const config: CsvConfig = { schema: s, header, delimiter, deadLetter: o.deadLetter ?? false, compression, where, transform: ctx.name };
    const source = new CsvSource(this.pattern, config);
    const payload = { format: "csv", pattern: patternList(this.pattern), header, delimiter, compression };
    const out = declareRead(ctx, payload, s, source, config.deadLetter);
    return config.deadLetter ? { main: out.main, deadLetter: out.deadLetter } : out.main;
  }
}

/** Reads CSV files as rows; bad rows fail the read, naming file, line, value and fix. */
export function readCsv<T = Record<string, string | null>>(pattern: FilePattern, options?: ReadCsvOptions<T> & { deadLetter?: false }): PTransform<PBegin, PCollection<T>>;
/** Reads CSV files as rows, routing malformed rows to `deadLetter` (the one dead-letter schema, with file and line). */
export function readCsv<T = Record<string, string | null>>(pattern: FilePattern, options: ReadCsvOptions<T> & { deadLetter: true }): PTransform<PBegin, WithDeadLetters<T>>;
export function readCsv(pattern: FilePattern, options: ReadCsvOptions<any> = {}): PTransform<PBegin, any> {
  return new ReadCsv(pattern, options);
}

// ---------------------------------------------------------------------------------------------
// Sink
// ---------------------------------------------------------------------------------------------

/** Options of {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Write a header row of field names; true by default. */
  readonly header?: boolean;
  /** The field delimiter; `,` by default. */
  readonly delimiter?: string;
  /** Appended to each shard's name; `.csv` by default (`.gz` is added for gzip). */
  readonly suffix?: string;
  /** How many files to write; 1 by default. */
  readonly numShards?: number;
  /** `gzip` compresses; `auto` (the default) compresses when the suffix ends in `.gz`. */
  readonly compression?: Compression;
  /** Route rows that cannot be written (a string that is not UTF-8, fields other than the file's) to a `deadLetter` output instead of failing; false by default. */
  readonly deadLetter?: boolean;
}

/** @internal Renders one CSV field: null as empty, strings quoted when needed (and "" for the empty string). */
export function csvField(v: unknown, type: arrow.DataType, delimiter: string): string {
  if (v === null || v === undefined) return "";
  let s: string;
  // A Date holds ±8.64e15 ms; Beam's timestamps reach further.
  if (type.typeId === arrow.Type.Timestamp && typeof v === "number") s = Math.abs(v) <= 8.64e15 ? new Date(v).toISOString() : formatTimestamp(v);
  else if (typeof v === "string") s = v;
  else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") s = String(v);
  else s = JSON.stringify(v, jsonReplacer);
  if (s === "" || s.includes(delimiter) || s.includes('"') || s.includes("\n") || s.includes("\r")) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** Characters a number's decimal form may hold (digits, sign, point, exponent, Infinity, NaN). */
const NUMBER_CHARS = /[0-9.+\-eEInfityNa]/;

/**
 * The CSV fields of a column by row, as {@link csvField} gives them: numbers of a one-chunk column of
 * floats or integers of up to 32 bits straight from its values (no quoting can apply unless the
 * delimiter could occur in a number); anything else through {@link csvField}.
 */
function csvFormatter(col: arrow.Vector, type: arrow.DataType, delimiter: string): (row: number) => string {
  const id = type.typeId;
  const d = col.data[0];
  const plain = col.data.length === 1 && !NUMBER_CHARS.test(delimiter)
    && ((id === arrow.Type.Float && (type as arrow.Float).precision !== arrow.Precision.HALF) || (id === arrow.Type.Int && (type as arrow.Int).bitWidth <= 32));
  if (!plain) {
    const read = valueReader(col);
    return (r) => csvField(read(r), type, delimiter);
  }
  const values = d.values as ArrayLike<number>;
  if (d.nullCount === 0) return (r) => String(values[r]);
  const bitmap = d.nullBitmap as Uint8Array;
  const off = d.offset;
  return (r) => (((bitmap[(off + r) >> 3] >> ((off + r) & 7)) & 1) === 1 ? String(values[r]) : "");
}

/** The CSV lines of a batch's rows (each ended by a newline). */
function csvLines(batch: arrow.RecordBatch, d: string): string {
  const formats = batch.schema.fields.map((f, i) => csvFormatter(batch.getChildAt(i)!, f.type, d));
  const lines = new Array<string>(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    let line = formats.length > 0 ? formats[0](r) : "";
    for (let f = 1; f < formats.length; f++) line += d + formats[f](r);
    lines[r] = line; // a one-field null row is a blank line, which readCsv reads back as null
  }
  return lines.join("\n") + "\n";
}

/** The sink behind {@link writeCsv}. */
export class CsvSink extends CheckedFileSink {
  /** Batches encode apart from the writer when the header does not wait for the first batch's schema and the writer routes no dead letters. */
  readonly encode?: (batch: arrow.RecordBatch) => Uint8Array;

  constructor(prefix: string, readonly csvOptions: WriteCsvOptions = {}, readonly inputSchema: arrow.Schema | null = null) {
    const options = { prefix, suffix: gzipSuffix(csvOptions.suffix ?? ".csv", csvOptions.compression), numShards: csvOptions.numShards ?? 1, deadLetter: csvOptions.deadLetter };
    // Without a header, each line stands alone; with one, every line has the header's fields.
    const header = csvOptions.header ?? true;
    super(options, inputSchema ?? (header ? "first-batch" : null), "Csv");
    const d = csvOptions.delimiter ?? ",";
    if ((inputSchema || !header) && !this.deadLetter) this.encode = (batch) => (checkWritable(batch, prefix), Buffer.from(csvLines(batch, d)));
  }
  protected async openFile(staged: string): Promise<FileShardWriter> {
    const out = new ByteFileWriter(staged, outputCompression(this.options.suffix, this.csvOptions.compression));
    const d = this.csvOptions.delimiter ?? ",";
    const header = this.csvOptions.header ?? true;
    let headerWritten = false;
    const writeHeader = (s: arrow.Schema | null) => {
      headerWritten = true;
      if (header && s) return out.write(s.fields.map((f) => csvField(f.name, new arrow.Utf8(), d)).join(d) + "\n");
    };
    return {
      write: async (batch) => {
        if (!headerWritten) await writeHeader(this.inputSchema ?? batch.schema);
        return out.write(csvLines(batch, d));
      },
      writeBytes: async (bytes) => {
        if (!headerWritten) await writeHeader(this.inputSchema);
        return out.write(bytes);
      },
      finish: async () => {
        if (!headerWritten && this.inputSchema) await writeHeader(this.inputSchema);
        await out.end();
      },
      destroy: () => out.destroy(),
    };
  }
}

class WriteCsv extends PTransform<PCollection<any>, PCollection<{ file: string }> | WrittenWithDeadLetters> {
  constructor(readonly prefix: string, readonly options: WriteCsvOptions) {
    super("WriteCsv");
  }
  expand(input: PCollection<any>, ctx: ExpandContext): PCollection<{ file: string }> | WrittenWithDeadLetters {
    const sink = new CsvSink(this.prefix, this.options, input.schema);
    const payload = { format: "csv", prefix: this.prefix, suffix: sink.options.suffix, numShards: sink.numShards ?? null, header: this.options.header ?? true, delimiter: this.options.delimiter ?? "," };
    return declareCheckedWrite(ctx, input, payload, sink);
  }
}

/** Writes rows as CSV (RFC 4180 quoting; null as an empty field; timestamps as ISO-8601); returns the written paths. */
export function writeCsv(prefix: string, options?: WriteCsvOptions & { readonly deadLetter?: false }): PTransform<PCollection<any>, PCollection<{ file: string }>>;
/** Writes rows as CSV (see above); rows it cannot write (a string that is not UTF-8, fields other than the file's) go to `deadLetter`. */
export function writeCsv(prefix: string, options: WriteCsvOptions & { readonly deadLetter: true }): PTransform<PCollection<any>, WrittenWithDeadLetters>;
export function writeCsv(prefix: string, options: WriteCsvOptions = {}): PTransform<PCollection<any>, any> {
  return new WriteCsv(prefix, options);
}
