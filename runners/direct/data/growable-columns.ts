/** Growable typed columns for per-group state. */

/** A typed array that grows (doubling) to hold any index written; `length` is one more than the highest index written. */
export class GrowableColumn<A extends Float64Array | Int32Array | Uint8Array> {
  /** Values past `length` are unspecified. */
  length = 0;
  constructor(public data: A) {}
  /** Writes `v` at index `i`, growing the column if needed. */
  set(i: number, v: number): void {
    this.reserve(i);
    this.data[i] = v;
  }
  /** Appends `v` at index `length`. */
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length);
    this.data[this.length++] = v;
  }
  /** Makes index `i` writable through `data`. */
  reserve(i: number): void {
    if (i >= this.data.length) this.grow(i);
    if (i >= this.length) this.length = i + 1;
  }
  private grow(i: number): void {
    const next = new (this.data.constructor as new (n: number) => A)(Math.max(i + 1, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}
