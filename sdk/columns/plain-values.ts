/**
 * The plain JavaScript values columns are read as (shared with rows.ts): utf8 → string, numbers →
 * number, int64 → number (bigint only beyond Number.MAX_SAFE_INTEGER), timestamp → number of ms,
 * bool → boolean, binary → Uint8Array (a copy), list → plain array, struct → plain object, null → null.
 */
import * as arrow from "apache-arrow";

/** Reads the i-th value of a column. */
export type ValueReader = (i: number) => unknown;

/** Converts what Arrow's own getters return into Beamline's plain JavaScript values. */
export function normalizeArrowValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return toNumberIfSafe(v);
  if (v instanceof arrow.Vector) return [...v].map(normalizeArrowValue);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function" && !ArrayBuffer.isView(v)) {
    const json = (v as { toJSON(): unknown }).toJSON();
    if (json && typeof json === "object" && !Array.isArray(json)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(json)) out[k] = normalizeArrowValue(x);
      return out;
    }
    return json;
  }
  return v;
}

/** @internal An int64 as a number when it is exact, else the bigint itself. */
export function toNumberIfSafe(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}
