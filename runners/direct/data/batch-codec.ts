/**
 * Element batches across threads. A batch becomes a structured-cloneable tree of its Arrow data
 * (type, offset, length, null count, the typed-array buffers, children, dictionary) plus its per-row
 * metadata columns, and a transfer list: buffers the sender owns move to the receiver without a copy
 * (and are detached on the sender's side); the rest are copied to exact-size buffers first, so that
 * a view over a large shared buffer never drags the whole buffer along.
 */
import * as arrow from "apache-arrow";
import { types } from "node:util";
import type { ElementBatch, PaneColumn, WindowColumn } from "../../../sdk/batch";
import { GLOBAL_WINDOWS } from "../../../sdk/batch";
import { arrowSchemaFromJson, arrowSchemaToJson, SchemaJson, typeFromJson, typeToJson, TypeJson } from "../../../sdk/schema/arrow-type";

type Buffer_ = ArrayBufferView | undefined;

/** One Arrow Data node on the wire. */
export interface WireData {
  readonly type: TypeJson;
  readonly offset: number;
  readonly length: number;
  readonly nullCount: number;
  /** valueOffsets, values, nullBitmap, typeIds (Arrow's buffer order). */
  readonly buffers: Buffer_[];
  readonly children: WireData[];
  /** The dictionary's chunks, for dictionary-encoded data. */
  readonly dictionary?: WireData[];
}

/** An element batch on the wire. */
export interface WireBatch {
  readonly schema: SchemaJson;
  readonly length: number;
  readonly columns: WireData[];
  readonly timestamps: Float64Array;
  readonly windows: WindowColumn;
  readonly panes?: PaneColumn;
}

/** What {@link encodeBatch} produced: the message and what to pass as `postMessage`'s transfer list. */
export interface EncodedBatch {
  readonly message: WireBatch;
  readonly transfer: ArrayBuffer[];
  /** Bytes moved without copying. */
  readonly transferredBytes: number;
  /** Bytes copied (buffers the sender does not own, or views into larger buffers). */
  readonly copiedBytes: number;
}

const schemaCache = new WeakMap<arrow.Schema, SchemaJson>();

class Encoder {
  readonly transfer: ArrayBuffer[] = [];
  private readonly moving = new Set<ArrayBufferLike>();
  transferredBytes = 0;
  copiedBytes = 0;

  constructor(private readonly owned: boolean) {}

  buffer(a: Buffer_, mayTransfer: boolean): Buffer_ {
    if (a === undefined || a === null) return undefined;
    const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && types.isArrayBuffer(a.buffer);
    if (this.owned && mayTransfer && whole) {
      if (!this.moving.has(a.buffer)) {
        this.moving.add(a.buffer);
        this.transfer.push(a.buffer as ArrayBuffer);
        this.transferredBytes += a.byteLength;
      }
      return a;
    }
    if (a.byteLength === 0) return a;
    const copy = (a as unknown as { slice(): ArrayBufferView }).slice();
    this.transfer.push(copy.buffer as ArrayBuffer);
    this.copiedBytes += a.byteLength;
    return copy;
  }

  data(d: arrow.Data, mayTransfer: boolean): WireData {
    const [valueOffsets, values, nullBitmap, typeIds] = [d.valueOffsets, d.values, d.nullBitmap, d.typeIds] as Buffer_[];
    const out: WireData = {
      type: typeToJson(d.type),
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      buffers: [valueOffsets, values, nullBitmap, typeIds].map((b) => this.buffer(b, mayTransfer)),
      children: (d.children ?? []).map((c) => this.data(c, mayTransfer)),
    };
    // A dictionary is typically shared by every batch cut from one column: it is always copied.
    if (d.dictionary) return { ...out, dictionary: d.dictionary.data.map((c) => this.data(c, false)) };
    return out;
  }

  typed<T extends ArrayBufferView>(a: T): T {
    return this.buffer(a, true) as T;
  }
}

/**
 * Encodes a batch for `postMessage`. With `owned`, the caller hands the batch over: its whole-buffer
 * arrays are transferred (and become unusable here). Without, everything is copied.
 */
export function encodeBatch(batch: ElementBatch, owned: boolean): EncodedBatch {
  const enc = new Encoder(owned);
  let schema = schemaCache.get(batch.data.schema);
  if (!schema) {
    schema = arrowSchemaToJson(batch.data.schema);
    schemaCache.set(batch.data.schema, schema);
  }
  const columns = batch.data.data.children.map((c) => enc.data(c, true));
  const windows: WindowColumn =
    batch.windows.kind === "global" ? GLOBAL_WINDOWS : { kind: "interval", start: enc.typed(batch.windows.start), end: enc.typed(batch.windows.end) };
  const message: WireBatch = {
    schema,
    length: batch.data.numRows,
    columns,
    timestamps: enc.typed(batch.timestamps),
    windows: windows.kind === "global" ? { kind: "global" } : windows,
    ...(batch.panes ? { panes: encodePanes(enc, batch.panes) } : {}),
  };
  return { message, transfer: enc.transfer, transferredBytes: enc.transferredBytes, copiedBytes: enc.copiedBytes };
}

function encodePanes(enc: Encoder, p: PaneColumn): PaneColumn {
  const flags = enc.typed(p.flags);
  const index = enc.typed(p.index);
  return p.nonSpeculative ? { flags, index, nonSpeculative: enc.typed(p.nonSpeculative) } : { flags, index };
}

function dataFromWire(w: WireData, type?: arrow.DataType): arrow.Data {
  const t = type ?? typeFromJson(w.type);
  const children = w.children.map((c, i) => dataFromWire(c, t.children?.[i]?.type));
  const dictionary = w.dictionary ? new arrow.Vector(w.dictionary.map((c) => dataFromWire(c, (t as arrow.Dictionary).dictionary))) : undefined;
  const buffers = w.buffers.map((b) => b ?? undefined) as never;
  return new arrow.Data(t, w.offset, w.length, w.nullCount, buffers, children, dictionary);
}

const decodedSchemas = new Map<string, arrow.Schema>();

/** Rebuilds a batch from its wire form, over the received buffers (no copy). */
export function decodeBatch(w: WireBatch): ElementBatch {
  const key = JSON.stringify(w.schema);
  let schema = decodedSchemas.get(key);
  if (!schema) {
    schema = arrowSchemaFromJson(w.schema);
    if (decodedSchemas.size > 1000) decodedSchemas.clear();
    decodedSchemas.set(key, schema);
  }
  const children = w.columns.map((c, i) => dataFromWire(c, schema!.fields[i].type));
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: w.length, nullCount: 0, children });
  const data = new arrow.RecordBatch(schema, struct);
  if (data.schema !== schema) (data as { schema: arrow.Schema }).schema = schema;
  const windows: WindowColumn = w.windows.kind === "global" ? GLOBAL_WINDOWS : w.windows;
  return w.panes ? { data, timestamps: w.timestamps, windows, panes: w.panes } : { data, timestamps: w.timestamps, windows };
}
