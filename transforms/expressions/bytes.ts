/** Byte helpers of the string kernels. */

/** @internal A Buffer over the same bytes (no copy). */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** @internal Copies bytes `[s, e)` of `src` into `dst` at `at`: a loop for short runs, `set` for long ones. */
export function copyBytes(src: Uint8Array, s: number, e: number, dst: Uint8Array, at: number): void {
  if (e - s > 32) dst.set(src.subarray(s, e), at);
  else for (let b = s; b < e; b++) dst[at++] = src[b];
}
