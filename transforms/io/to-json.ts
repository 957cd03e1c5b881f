/** JSON text of row values, as the text formats and sinks write them. */

/** @internal JSON for a row value: bigints as numbers when safe (else as strings), bytes as base64. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, jsonReplacer) ?? "null";
}

/** @internal The replacer behind {@link toJson}. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return v;
}
