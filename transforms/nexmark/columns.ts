/**
 * Column builders for generated events: numbers into a Float64Array, ASCII strings straight into a
 * UTF-8 byte buffer with Int32 offsets, so a batch of events becomes an Arrow record batch with no
 * per-event object and no string encoding pass.
 */
import * as arrow from "apache-arrow";

/** A growable Float64 column. */
export class NumberColumn {
  values: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(16, capacity));
  }
  /** Appends one value. */
  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }
  /** The column as Arrow data (copied to its exact length). */
  data(): arrow.Data<arrow.Float64> {
    return arrow.makeData({ type: new arrow.Float64(), length: this.length, nullCount: 0, data: this.values.slice(0, this.length) });
  }
}

/** A growable UTF-8 column written one byte at a time (the generator only writes ASCII). */
export class StringColumn {
  bytes: Uint8Array;
  offsets: Int32Array;
  length = 0;
  size = 0;
  constructor(capacity: number, avgBytes: number) {
    this.bytes = new Uint8Array(Math.max(64, capacity * avgBytes));
    this.offsets = new Int32Array(Math.max(16, capacity) + 1);
  }
  /** Appends one byte to the string being written. */
  byte(b: number): void {
    if (this.size === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.size++] = b;
  }
  /** Makes room for `n` more bytes, so they can be written straight into {@link bytes} at {@link size}. */
  reserve(n: number): void {
    if (this.size + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.size + n));
    grown.set(this.bytes.subarray(0, this.size));
    this.bytes = grown;
  }
  /** Appends the bytes of an ASCII string to the string being written. */
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  /** The length in bytes of the string being written so far. */
  current(): number {
    return this.size - this.offsets[this.length];
  }
  /** Removes the leading and trailing spaces of what was written since byte `start` (Java's trim). */
  trim(start: number): void {
    while (this.size > start && this.bytes[this.size - 1] === 32) this.size--;
    let lead = start;
    while (lead < this.size && this.bytes[lead] === 32) lead++;
    if (lead > start) {
      this.bytes.copyWithin(start, lead, this.size);
      this.size -= lead - start;
    }
  }
  /** Ends the string being written. */
  end(): void {
    if (this.length + 1 === this.offsets.length) {
      const grown = new Int32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[++this.length] = this.size;
  }
  /** The column as Arrow data (copied to its exact length). */
  data(): arrow.Data<arrow.Utf8> {
    return arrow.makeData({ type: new arrow.Utf8(), length: this.length, nullCount: 0, valueOffsets: this.offsets.slice(0, this.length + 1), data: this.bytes.slice(0, this.size) });
  }
}

/** An Arrow record batch of `schema` over columns in the schema's field order. */
export function recordBatch(schema: arrow.Schema, columns: readonly arrow.Data[]): arrow.RecordBatch {
  const length = columns.length ? columns[0].length : 0;
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children: columns as arrow.Data[] }));
}
