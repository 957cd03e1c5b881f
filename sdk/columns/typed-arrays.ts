/** The typed arrays behind Arrow columns: their types, byte order and 64-bit values as 32-bit words. */
import * as arrow from "apache-arrow";

/** @internal Any typed array an Arrow column keeps its values in. */
export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
/** @internal The constructor of a typed array. */
export type TypedArrayCtor = new (length: number) => TypedArray;

/** @internal Whether this machine stores the low byte first (then 64-bit values are read as two 32-bit words). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A view of a 64-bit integer buffer as pairs of 32-bit words (low word first). */
export function int32Words(values: BigInt64Array | BigUint64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** @internal Whether a type keeps one fixed-width value per row in a single typed array. */
export function isFixedWidth(type: arrow.DataType): boolean {
  switch (type.typeId) {
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Timestamp: case arrow.Type.Date:
    case arrow.Type.Time: case arrow.Type.Duration: case arrow.Type.Decimal: case arrow.Type.Interval:
    case arrow.Type.FixedSizeBinary:
      return true;
    default:
      return false;
  }
}
