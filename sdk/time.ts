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

/** Milliseconds per unit of a duration, by every name {@link durationMs} accepts. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/**
 * Parses a duration such as `500ms`, `10s`, `5m`, `1h`, `2d`, `1 minute`, `30 seconds` or a number of
 * milliseconds; throws a RangeError for anything else.
 */
export function durationMs(d: number | string): number {
  if (typeof d === "number") return d;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(d);
  const unit = m ? UNIT_MS[(m[2] || "ms").toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`duration ${JSON.stringify(d)} is not a number of ms nor like "10s", "5m", "1h", "1 minute"`);
  return Number(m[1]) * unit;
}

/**
 * Formats a timestamp for people: ISO-8601 (years beyond 9999 or before 0 signed and six digits wide,
 * as `Date#toISOString` writes them), or `-inf` / `+inf` at Beam's bounds. Works across Beam's whole
 * range, which reaches past what a `Date` can hold (±8.64e15 ms), and prints anything else (NaN,
 * fractions of a ms are truncated) without throwing.
 */
export function formatTimestamp(ts: number): string {
  if (Number.isNaN(ts)) return "NaN";
  if (ts <= MIN_TIMESTAMP) return "-inf";
  if (ts >= GLOBAL_WINDOW_MAX_TIMESTAMP) return ts >= MAX_TIMESTAMP ? "+inf" : "end-of-global-window";
  const ms = Math.floor(ts);
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // Civil date from days since the epoch (Howard Hinnant's days_from_civil, inverted).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? "-" : "+") + pad(Math.abs(year), 6);
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor(inDay / 60_000) % 60;
  const sec = Math.floor(inDay / 1000) % 60;
  return `${y}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(sec, 2)}.${pad(inDay % 1000, 3)}Z`;
}

const DAY_MS = 86_400_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
