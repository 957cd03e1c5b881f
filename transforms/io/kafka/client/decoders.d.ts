/** Types of the pure-JavaScript decoders that ship without them (snappyjs 0.7.0, lz4js 0.2.0). */
declare module "snappyjs" {
  /** Decompresses one raw snappy block. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  /** Compresses into one raw snappy block. */
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}

declare module "lz4js" {
  /** Decompresses an LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Compresses into an LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
