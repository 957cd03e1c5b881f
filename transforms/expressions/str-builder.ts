/** A growable UTF-8 output column. */
import { bufferOf } from "./bytes";
import type { Mask, StrCol } from "./evaluated";

/** A growable UTF-8 output column. */
export class StrBuilder {
  readonly off: Int32Array;
  bytes: Uint8Array;
  buf: Buffer;
  pos = 0;

  constructor(n: number, capacity: number) {
    this.off = new Int32Array(n + 1);
    this.bytes = new Uint8Array(Math.max(16, capacity));
    this.buf = bufferOf(this.bytes);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + extra));
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.buf = bufferOf(next);
  }

  writeString(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  end(i: number): void {
    this.off[i + 1] = this.pos;
  }

  finish(valid: Mask): StrCol {
    return { k: "str", off: this.off, bytes: this.bytes.subarray(0, this.pos), valid };
  }
}
