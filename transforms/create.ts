/**
 * In-memory sources: rows, column arrays, or an Arrow table. The schema is inferred at construction
 * from the rows (or declared), so a bad row fails when the pipeline is built, not when it runs.
 */
import * as arrow from "apache-arrow";
import { globalBatch } from "../sdk/batch";
import { recordBatchFromColumns, vectorFromValues } from "../sdk/columns";
import { SchemaError } from "../sdk/errors";
import type { JsonValue } from "../sdk/graph";
import { arrowSchemaOf } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { rowsToRecordBatch } from "../sdk/rows";
import { inferSchema, RowSchema } from "../sdk/schema";
import { BoundedSource, READ_URN, SourceChunk } from "../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../sdk/transform";

const BATCH_ROWS = 65536;

/** A bounded source over record batches held in memory. */
export class InMemorySource implements BoundedSource {
  constructor(private readonly batches: readonly arrow.RecordBatch[]) {}

  async split(): Promise<JsonValue[]> {
    return [0];
  }

  async *read(_part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk> {
    const row = typeof from === "number" ? from : 0;
    let seen = 0;
    for (const b of this.batches) {
      for (let lo = 0; lo < b.numRows; lo += BATCH_ROWS) {
        const hi = Math.min(b.numRows, lo + BATCH_ROWS);
        if (seen + hi <= row) continue;
        const start = Math.max(lo, row - seen);
        yield { batch: globalBatch(b.slice(start, hi)), position: seen + hi };
      }
      seen += b.numRows;
    }
  }
}

class Create<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(
    label: string,
    private readonly schema: arrow.Schema,
    private readonly batches: arrow.RecordBatch[],
  ) {
    super(label);
  }

  expand(_input: PBegin, ctx: ExpandContext): PCollection<T> {
    const rows = this.batches.reduce((n, b) => n + b.numRows, 0);
    return ctx.primitive({
      urn: READ_URN,
      payload: { source: "memory", rows },
      inputs: {},
      outputs: { main: { schema: this.schema, bounded: true } },
      fn: new InMemorySource(this.batches),
    }).main;
  }
}

/** Creates a PCollection from rows (objects, or bare values). The schema is inferred unless declared. */
export function create<T>(rows: readonly T[], options?: { schema?: RowSchema<T> | arrow.Schema }): PTransform<PBegin, PCollection<T>> {
  const declared = arrowSchemaOf(options?.schema);
  if (!declared && rows.length === 0) {
    throw new SchemaError({
      code: "BL_CANNOT_INFER_SCHEMA",
      where: "create",
      value: rows,
      rule: "the schema of an empty create cannot be inferred",
      fix: "declare it: create([], { schema: schema({ x: t.string() }) })",
    });
  }
  const schema = declared ?? inferSchema(rows, "create");
  const batches: arrow.RecordBatch[] = [];
  for (let lo = 0; lo < rows.length || (lo === 0 && rows.length === 0); lo += BATCH_ROWS) {
    batches.push(rowsToRecordBatch(rows.slice(lo, lo + BATCH_ROWS), schema, `create, rows from ${lo}`));
    if (rows.length === 0) break;
  }
  return new Create<T>("Create", schema, batches);
}

/** Creates a PCollection from column arrays of equal length: `createColumns({ x: [1, 2], y: ["a", "b"] })`. */
export function createColumns<T>(columns: Record<string, readonly unknown[]>, options?: { schema?: RowSchema<T> | arrow.Schema }): PTransform<PBegin, PCollection<T>> {
  const names = Object.keys(columns);
  const lengths = names.map((n) => columns[n].length);
  if (names.length === 0 || lengths.some((l) => l !== lengths[0])) {
    throw new SchemaError({
      code: "BL_COLUMN_LENGTHS",
      where: "createColumns",
      value: Object.fromEntries(names.map((n, i) => [n, lengths[i]])),
      rule: "needs at least one column, and all columns of the same length",
      fix: "pass arrays of equal length, one per field",
    });
  }
  const declared = arrowSchemaOf(options?.schema);
  const schema =
    declared ??
    new arrow.Schema(
      names.map((n) => {
        const s = inferSchema(columns[n] as unknown[], `createColumns, column "${n}"`);
        return new arrow.Field(n, s.fields[0].type, true);
      }),
    );
  const vectors = schema.fields.map((f) => vectorFromValues(columns[f.name] ?? [], f.type, `createColumns, column "${f.name}"`));
  return new Create<T>("CreateColumns", schema, [recordBatchFromColumns(schema, vectors)]);
}

/** Creates a PCollection from an Arrow table (or record batches) without copying. */
export function fromArrow<T = Record<string, unknown>>(table: arrow.Table | readonly arrow.RecordBatch[]): PTransform<PBegin, PCollection<T>> {
  const batches = table instanceof arrow.Table ? table.batches : [...table];
  if (batches.length === 0) {
    if (table instanceof arrow.Table) return new Create<T>("FromArrow", table.schema, []);
    throw new SchemaError({ code: "BL_CANNOT_INFER_SCHEMA", where: "fromArrow", value: [], rule: "an empty list of batches has no schema", fix: "pass an arrow.Table (it carries its schema)" });
  }
  return new Create<T>("FromArrow", decodedSchema(batches[0].schema), batches.map(decodeDictionaries));
}

/** The schema with dictionary-encoded fields replaced by their value types. */
function decodedSchema(s: arrow.Schema): arrow.Schema {
  if (!s.fields.some((f) => arrow.DataType.isDictionary(f.type))) return s;
  return new arrow.Schema(
    s.fields.map((f) => (arrow.DataType.isDictionary(f.type) ? new arrow.Field(f.name, (f.type as arrow.Dictionary).dictionary, true) : f)),
    s.metadata,
  );
}

/** Decodes dictionary-encoded columns (as `tableFromArrays` makes for strings) into plain columns. */
function decodeDictionaries(b: arrow.RecordBatch): arrow.RecordBatch {
  const schema = decodedSchema(b.schema);
  if (schema === b.schema) return b;
  const columns = b.schema.fields.map((f, i) => {
    const col = b.getChildAt(i)!;
    if (!arrow.DataType.isDictionary(f.type)) return col;
    const values = new Array<unknown>(col.length);
    for (let r = 0; r < col.length; r++) values[r] = col.get(r);
    return vectorFromValues(values, schema.fields[i].type, `fromArrow, column "${f.name}"`);
  });
  return recordBatchFromColumns(schema, columns);
}
