/**
 * Event time. Timestamps are milliseconds since the epoch held in a JavaScript number (a float64 column
 * in batches). Beam's minimum and maximum timestamps bound them; the global window ends one day before
 * the maximum, as in Beam.
 */

/** Beam's minimum timestamp, in milliseconds (Long.MIN_VALUE microseconds, truncated). */
export const MIN_TIMESTAMP = -9223372036854775;
/** Beam's maximum timestamp, in milliseconds. */
export const MAX_TIMESTAMP = 9223372036854775;
/** The last timestamp inside the global window: the maximum less one day. */
export const GLOBAL_WINDOW_MAX_TIMESTAMP = MAX_TIMESTAMP - 86_400_000;

/** Parses a duration such as `500ms`, `10s`, `5m`, `1h`, `2d` or a number of milliseconds. */
export function durationMs(d: number | string): number {
  if (typeof d === "number") return d;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(d);
  if (!m) throw new RangeError(`duration ${JSON.stringify(d)} is not a number of ms nor like "10s", "5m", "1h"`);
  const n = Number(m[1]);
  switch (m[2] ?? "ms") {
    case "ms": return n;
    case "s": return n * 1000;
    case "m": case "min": return n * 60_000;
    case "h": return n * 3_600_000;
    default: return n * 86_400_000;
  }
}

/** Formats a timestamp for people: ISO-8601, or `-inf` / `+inf` at Beam's bounds. */
export function formatTimestamp(ts: number): string {
  if (ts <= MIN_TIMESTAMP) return "-inf";
  if (ts >= GLOBAL_WINDOW_MAX_TIMESTAMP) return ts >= MAX_TIMESTAMP ? "+inf" : "end-of-global-window";
  return new Date(ts).toISOString();
}
