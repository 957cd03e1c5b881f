/** Readers over one Arrow Data chunk that work on its typed arrays, never on Arrow's per-row getters. */
import * as arrow from "apache-arrow";
import { objectMaker } from "./object-maker";
import { normalizeArrowValue, toNumberIfSafe, type ValueReader } from "./plain-values";
import { utf8Reader } from "./read-utf8";
import { int32Words, LITTLE_ENDIAN } from "./typed-arrays";

// 2^32, the weight of a 64-bit integer's high word; a module-local constant the per-row loops fold in.
const TWO_32 = 4294967296;

const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6]; // TimeUnit SECOND, MILLISECOND, MICROSECOND, NANOSECOND

/** Reads a value ignoring validity; `i` is the logical index within `data`. */
function rawReader(data: arrow.Data): ValueReader {
  const type = data.type;
  switch (type.typeId) {
    case arrow.Type.Null:
      return () => null;
    case arrow.Type.Float: {
      if ((type as arrow.Float).precision === arrow.Precision.HALF) break;
      const values = data.values as Float64Array | Float32Array;
      return (i) => values[i];
    }
    case arrow.Type.Int: {
      const int = type as arrow.Int;
      if (int.bitWidth < 64) {
        const values = data.values as Int32Array;
        return (i) => values[i];
      }
      const big = data.values as BigInt64Array;
      if (!LITTLE_ENDIAN) return (i) => toNumberIfSafe(big[i]);
      const w = int32Words(big);
      return int.isSigned
        ? (i) => { const x = w[2 * i + 1] * TWO_32 + (w[2 * i] >>> 0); return Number.isSafeInteger(x) ? x : big[i]; }
        : (i) => { const x = (w[2 * i + 1] >>> 0) * TWO_32 + (w[2 * i] >>> 0); return Number.isSafeInteger(x) ? x : big[i]; };
    }
    case arrow.Type.Timestamp: {
      const unit = (type as arrow.Timestamp).unit;
      const big = data.values as BigInt64Array;
      if (unit !== arrow.TimeUnit.MILLISECOND || !LITTLE_ENDIAN) {
        const scale = MS_PER_UNIT[unit];
        return (i) => Number(big[i]) * scale;
      }
      const w = int32Words(big);
      return (i) => w[2 * i + 1] * TWO_32 + (w[2 * i] >>> 0);
    }
    case arrow.Type.Bool: {
      const bits = data.values as Uint8Array;
      const off = data.offset;
      return (i) => ((bits[(off + i) >> 3] >> ((off + i) & 7)) & 1) === 1;
    }
    case arrow.Type.Utf8:
      return utf8Reader(data);
    case arrow.Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      return (i) => bytes.slice(offsets[i], offsets[i + 1]);
    }
    case arrow.Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const item = dataReader(data.children[0]);
      return (i) => {
        const begin = offsets[i];
        const out = new Array(offsets[i + 1] - begin);
        for (let j = 0; j < out.length; j++) out[j] = item(begin + j);
        return out;
      };
    }
    case arrow.Type.Struct: {
      const make = objectMaker((type as arrow.Struct).children.map((f) => f.name), "readers");
      const readers = data.children.map(dataReader);
      return (i) => make(readers, i);
    }
    default:
      break;
  }
  const vector = arrow.makeVector(data);
  return (i) => normalizeArrowValue(vector.get(i));
}

/** @internal Builds a reader over one Data chunk: logical index → JS value (null where invalid). */
export function dataReader(data: arrow.Data): ValueReader {
  const read = rawReader(data);
  if (data.typeId === arrow.Type.Null || data.nullCount === 0) return read;
  const bitmap = data.nullBitmap as Uint8Array;
  const off = data.offset;
  return (i) => ((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1 ? read(i) : null);
}
