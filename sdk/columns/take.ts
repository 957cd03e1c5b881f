/** Gathering rows by index: of a Data chunk, a vector and a record batch. */
import * as arrow from "apache-arrow";
import { BeamlineError } from "../errors";
import { singleData } from "./concat";
import { dataReader } from "./data-reader";
import { makeRecordBatch } from "./make-record-batch";
import { int32Words, isFixedWidth, type TypedArray, type TypedArrayCtor } from "./typed-arrays";
import { takeValidity } from "./validity";
import { writeWithBuilder } from "./write-with-builder";

function gatherFixed(values: TypedArray, stride: number, indices: Int32Array): TypedArray {
  const k = indices.length;
  const Ctor = values.constructor as TypedArrayCtor;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const src = int32Words(values);
    const out = new Ctor(k * stride) as BigInt64Array;
    const dst = int32Words(out);
    const s2 = stride * 2;
    for (let j = 0; j < k; j++) {
      const from = indices[j] * s2;
      const to = j * s2;
      for (let b = 0; b < s2; b++) dst[to + b] = src[from + b];
    }
    return out;
  }
  const src = values as Float64Array;
  const out = new Ctor(k * stride) as Float64Array;
  if (stride === 1) {
    for (let j = 0; j < k; j++) out[j] = src[indices[j]];
  } else {
    for (let j = 0; j < k; j++) {
      const from = indices[j] * stride;
      for (let b = 0; b < stride; b++) out[j * stride + b] = src[from + b];
    }
  }
  return out;
}

function checkIndices(indices: Int32Array, length: number): void {
  for (let j = 0; j < indices.length; j++) {
    const x = indices[j];
    if (x < 0 || x >= length) {
      throw new BeamlineError({
        code: "BL_INDEX_OUT_OF_RANGE",
        domain: "internal",
        where: "takeVector",
        value: x,
        rule: `index ${j} is outside the column's ${length} rows`,
        fix: "pass indices in [0, length)",
      });
    }
  }
}

/** @internal Gathers rows of one Data chunk: the j-th output value is the `indices[j]`-th input value. */
export function takeData(data: arrow.Data, indices: Int32Array): arrow.Data {
  const type = data.type;
  const k = indices.length;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type: type as arrow.Null, length: k });
  const valid = takeValidity(data, indices);
  const nullCount = valid ? valid.nulls : 0;
  const nullBitmap = valid && valid.nulls > 0 ? valid.bits : undefined;
  if (isFixedWidth(type) && !(type.typeId === arrow.Type.Float && (type as arrow.Float).precision === arrow.Precision.HALF)) {
    const values = gatherFixed(data.values as TypedArray, data.stride, indices);
    return new arrow.Data(type, 0, k, nullCount, [undefined, values, nullBitmap] as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const src = data.values as Uint8Array;
      const off = data.offset;
      const out = new Uint8Array((k + 7) >> 3);
      for (let j = 0; j < k; j++) {
        const p = off + indices[j];
        if ((src[p >> 3] >> (p & 7)) & 1) out[j >> 3] |= 1 << (j & 7);
      }
      return arrow.makeData({ type: type as arrow.Bool, length: k, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const o = data.valueOffsets as Int32Array;
      const src = data.values as Uint8Array;
      const offsets = new Int32Array(k + 1);
      let total = 0;
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        total += o[x + 1] - o[x];
        offsets[j + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        const s = o[x];
        const e = o[x + 1];
        let pos = offsets[j];
        if (e - s > 32) out.set(src.subarray(s, e), pos);
        else for (let b = s; b < e; b++) out[pos++] = src[b];
      }
      return arrow.makeData({ type: type as arrow.Utf8, length: k, nullCount, nullBitmap, valueOffsets: offsets, data: out });
    }
    case arrow.Type.List: {
      const o = data.valueOffsets as Int32Array;
      const offsets = new Int32Array(k + 1);
      let total = 0;
      for (let j = 0; j < k; j++) {
        const x = indices[j];
        total += o[x + 1] - o[x];
        offsets[j + 1] = total;
      }
      const childIndices = new Int32Array(total);
      for (let j = 0, pos = 0; j < k; j++) {
        const x = indices[j];
        for (let c = o[x]; c < o[x + 1]; c++) childIndices[pos++] = c;
      }
      const child = takeData(data.children[0], childIndices);
      return arrow.makeData({ type: type as arrow.List, length: k, nullCount, nullBitmap, valueOffsets: offsets, child });
    }
    case arrow.Type.Struct: {
      const children = data.children.map((c) => takeData(c, indices));
      return arrow.makeData({ type: type as arrow.Struct, length: k, nullCount, nullBitmap, children });
    }
    default: {
      const read = dataReader(data);
      return writeWithBuilder(type, k, (j) => read(indices[j]), { where: "takeVector", path: "", rowOf: (j) => indices[j] });
    }
  }
}

/** Gathers values: the j-th output value is the `indices[j]`-th input value. Handles nulls and multi-chunk vectors; returns one chunk. */
export function takeVector(vector: arrow.Vector, indices: Int32Array): arrow.Vector {
  checkIndices(indices, vector.length);
  return arrow.makeVector(takeData(singleData(vector), indices));
}

/** Gathers rows of a batch: row j of the result is row `indices[j]` of `batch`. Keeps the batch's schema. */
export function takeRecordBatch(batch: arrow.RecordBatch, indices: Int32Array): arrow.RecordBatch {
  checkIndices(indices, batch.numRows);
  const children = batch.data.children.map((c) => takeData(c, indices));
  return makeRecordBatch(batch.schema, children, indices.length);
}
