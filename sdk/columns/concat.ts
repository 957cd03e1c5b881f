/** Concatenating Data chunks of one type, and record batches of one schema. */
import * as arrow from "apache-arrow";
import { checkColumns } from "./check-columns";
import { dataReader } from "./data-reader";
import { emptyData } from "./empty";
import { makeRecordBatch } from "./make-record-batch";
import { isFixedWidth, type TypedArray, type TypedArrayCtor } from "./typed-arrays";
import { concatValidity } from "./validity";
import { writeWithBuilder } from "./write-with-builder";

/** @internal The vector's data as one chunk (concatenated when it has several). */
export function singleData(vector: arrow.Vector): arrow.Data {
  return vector.data.length === 1 ? vector.data[0] : concatData(vector.type, vector.data);
}

/** @internal Concatenates Data chunks of one type into one chunk. */
export function concatData(type: arrow.DataType, chunks: readonly arrow.Data[]): arrow.Data {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length === 0) return emptyData(type);
  let total = 0;
  for (const c of chunks) total += c.length;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: total });
  const valid = concatValidity(chunks, total);
  const nullCount = valid ? valid.nulls : 0;
  const nullBitmap = valid && valid.nulls > 0 ? valid.bits : undefined;
  if (isFixedWidth(type)) {
    const stride = chunks[0].stride;
    const Ctor = (chunks[0].values as TypedArray).constructor as TypedArrayCtor;
    const out = new Ctor(total * stride) as Float64Array;
    let pos = 0;
    for (const c of chunks) {
      out.set((c.values as Float64Array).subarray(0, c.length * stride), pos);
      pos += c.length * stride;
    }
    return new arrow.Data(type, 0, total, nullCount, [undefined, out, nullBitmap] as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const out = new Uint8Array((total + 7) >> 3);
      let pos = 0;
      for (const c of chunks) {
        const src = c.values as Uint8Array;
        const off = c.offset;
        for (let i = 0; i < c.length; i++, pos++) {
          const p = off + i;
          if ((src[p >> 3] >> (p & 7)) & 1) out[pos >> 3] |= 1 << (pos & 7);
        }
      }
      return arrow.makeData({ type: type as arrow.Bool, length: total, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      let bytes = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        bytes += o[c.length] - o[0];
      }
      const out = new Uint8Array(bytes);
      const offsets = new Int32Array(total + 1);
      let pos = 0;
      let row = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        const base = o[0];
        out.set((c.values as Uint8Array).subarray(base, o[c.length]), pos);
        for (let i = 1; i <= c.length; i++) offsets[row + i] = o[i] - base + pos;
        pos += o[c.length] - base;
        row += c.length;
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: total, nullCount, nullBitmap, valueOffsets: offsets, data: out });
    }
    case arrow.Type.List: {
      const offsets = new Int32Array(total + 1);
      const childChunks: arrow.Data[] = [];
      let pos = 0;
      let row = 0;
      for (const c of chunks) {
        const o = c.valueOffsets as Int32Array;
        const base = o[0];
        childChunks.push(c.children[0].slice(base, o[c.length] - base));
        for (let i = 1; i <= c.length; i++) offsets[row + i] = o[i] - base + pos;
        pos += o[c.length] - base;
        row += c.length;
      }
      const child = concatData((type as arrow.List).children[0].type, childChunks);
      return arrow.makeData({ type: type as arrow.List, length: total, nullCount, nullBitmap, valueOffsets: offsets, child });
    }
    case arrow.Type.Struct: {
      const children = (type as arrow.Struct).children.map((f, i) => concatData(f.type, chunks.map((c) => c.children[i])));
      return arrow.makeData({ type: type as arrow.Struct, length: total, nullCount, nullBitmap, children });
    }
    default: {
      const readers = chunks.map(dataReader);
      const starts: number[] = [];
      let s = 0;
      for (const c of chunks) { starts.push(s); s += c.length; }
      let ci = 0;
      return writeWithBuilder(type, total, (i) => {
        while (i >= starts[ci] + chunks[ci].length) ci++;
        return readers[ci](i - starts[ci]);
      }, { where: "concatRecordBatches", path: "", rowOf: (i) => i });
    }
  }
}

/** Concatenates batches of one schema into one batch whose columns are each a single Data chunk. Keeps `schema`. */
export function concatRecordBatches(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): arrow.RecordBatch {
  if (batches.length === 1 && batches[0].schema === schema) return batches[0];
  for (let b = 0; b < batches.length; b++) {
    checkColumns(schema, batches[b].data.children.map((c) => c.type), "concatRecordBatches", `batch ${b}`);
  }
  let total = 0;
  for (const b of batches) total += b.numRows;
  const children = schema.fields.map((f, i) => concatData(f.type, batches.map((b) => b.data.children[i])));
  return makeRecordBatch(schema, children, total);
}
