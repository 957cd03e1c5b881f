/**
 * Windows and windowing strategies. A window function is plain data (a spec) so that the pipeline
 * graph stays serializable; assignment works on whole timestamp columns.
 */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP, durationMs } from "./time";
import type { TriggerSpec } from "./trigger";
import { PipelineConstructionError } from "./errors";

/** A window as seen by user code: the global window, or a half-open interval `[start, end)` of ms. */
export interface Window {
  /** Inclusive start in ms; `MIN_TIMESTAMP` for the global window. */
  readonly start: number;
  /** Exclusive end in ms. */
  readonly end: number;
  /** True for the global window. */
  readonly global: boolean;
}

/** The global window. */
export const GLOBAL_WINDOW: Window = Object.freeze({
  start: MIN_TIMESTAMP,
  end: GLOBAL_WINDOW_MAX_TIMESTAMP + 1,
  global: true,
});

/** The largest timestamp inside a window (`end - 1` for intervals). */
export function windowMaxTimestamp(w: Window): number {
  return w.global ? GLOBAL_WINDOW_MAX_TIMESTAMP : w.end - 1;
}

/** A window function, as data. */
export type WindowFnSpec =
  | { kind: "global" }
  | { kind: "fixed"; size: number; offset: number }
  | { kind: "sliding"; size: number; period: number; offset: number }
  | { kind: "sessions"; gap: number }
  | { kind: "custom"; name: string };

/** The windows a custom window function gives one timestamp: non-empty half-open `[start, end)` intervals. */
export type CustomAssign = (timestamp: number) => readonly { readonly start: number; readonly end: number }[];

/** A custom, non-merging window function: a name (for the graph) and the assignment itself. */
export interface CustomWindowFn {
  readonly kind: "custom";
  readonly name: string;
  readonly assign: CustomAssign;
}

/**
 * A custom window function: `assign` maps an element's timestamp to the windows it belongs to, each
 * of which must contain the timestamp. Windows of a custom function do not merge.
 * @example
 * // Calendar months (UTC).
 * customWindows("months", (ts) => {
 *   const d = new Date(ts);
 *   return [{ start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth()), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1) }];
 * });
 */
export function customWindows(name: string, assign: CustomAssign): CustomWindowFn {
  if (!name) throw new RangeError("a custom window function needs a name, e.g. customWindows(\"months\", assign)");
  return { kind: "custom", name, assign };
}

/** How data is windowed and when panes fire. Triggers beyond the default arrive with event-time streaming. */
export interface WindowingStrategy {
  readonly windowFn: WindowFnSpec;
  /** How late (ms past the watermark) data may arrive before it is dropped. */
  readonly allowedLateness: number;
  /** The trigger, as data; `{kind: "default"}` fires once when the watermark passes the window's end. */
  readonly trigger: TriggerSpec;
  readonly accumulation: "discarding" | "accumulating";
  /** The timestamp given to grouped output. */
  readonly timestampCombiner: "end_of_window" | "earliest" | "latest";
  /** Whether the final pane at window closing (garbage collection) fires when empty. Unset: `fireIfNonEmpty`, Beam's default. */
  readonly closingBehavior?: PaneBehavior;
  /** Whether the on-time pane fires when empty. Unset: `fireAlways`, Beam's default. */
  readonly onTimeBehavior?: PaneBehavior;
}

/** Beam's closing and on-time behaviours: fire a pane even when it holds no new data, or only with data. */
export type PaneBehavior = "fireAlways" | "fireIfNonEmpty";

/** A trigger, as data: see sdk/trigger.ts. */
export type { TriggerSpec } from "./trigger";

/** The default strategy: the global window, default trigger, no lateness. */
export const DEFAULT_WINDOWING: WindowingStrategy = Object.freeze<WindowingStrategy>({
  windowFn: { kind: "global" },
  allowedLateness: 0,
  trigger: { kind: "default" },
  accumulation: "discarding",
  timestampCombiner: "end_of_window",
});

/** Fixed windows of `size` (ms or a duration string such as "1m"), optionally offset. */
export function fixedWindows(size: number | string, offset: number | string = 0): WindowFnSpec {
  const s = positive(size, "fixed window size");
  return { kind: "fixed", size: s, offset: mod(windowDuration(offset, "fixed window offset", true), s) };
}

/** Sliding windows of `size` starting every `period`. */
export function slidingWindows(size: number | string, period: number | string, offset: number | string = 0): WindowFnSpec {
  const s = positive(size, "sliding window size");
  const p = positive(period, "sliding window period");
  return { kind: "sliding", size: s, period: p, offset: mod(windowDuration(offset, "sliding window offset", true), p) };
}

/** Session windows that close after `gap` of inactivity per key. */
export function sessions(gap: number | string): WindowFnSpec {
  return { kind: "sessions", gap: positive(gap, "session gap") };
}

/** The single global window. */
export function globalWindows(): WindowFnSpec {
  return { kind: "global" };
}

/** A window duration given by a user, in ms: finite, and positive unless `zeroOk` (offsets). */
function windowDuration(d: number | string, what: string, zeroOk = false): number {
  let ms: number;
  try {
    ms = durationMs(d);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || (!zeroOk && !(ms > 0))) {
    const kind = zeroOk ? "a duration" : "a positive duration";
    throw new PipelineConstructionError({ code: "BL_INVALID_WINDOW", value: d, rule: `${what} must be ${kind}: a number of ms or like "10s", "5m", "1h", "1 minute"`, fix: 'pass e.g. 60000 or "1m"' });
  }
  return ms;
}

const positive = (d: number | string, what: string) => windowDuration(d, what);

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * The greatest `offset + k * size` at or below `ts`: `ts - mod(ts - offset, size)`, computed with a
 * division and a floor, several times faster than two remainders of doubles, and exact for
 * fractional sizes where subtracting a remainder is not (1.7 - mod(0.2, 2.5) is not 1.5). The
 * rounded quotient can be one off next to a boundary (a `ts` a hair below it), which the last step
 * mends; `k * size + offset` is exact below 2^53 for whole sizes.
 */
function floorTo(ts: number, size: number, offset: number): number {
  const s = Math.floor((ts - offset) / size) * size + offset;
  return s > ts ? s - size : s + size <= ts ? s + size : s;
}

// A module-level copy: an imported binding is a property read on every use, too slow in per-row loops.
const GLOBAL_END = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;

/** Whether windows of this function merge (sessions). */
export function isMerging(fn: WindowFnSpec): boolean {
  return fn.kind === "sessions";
}

/**
 * Assigns windows to a column of timestamps. Returns, for each output row, the input row it comes
 * from (`source`) and its window bounds; an element may land in several windows (sliding).
 * Returns `null` for the global window (every row in it, one each).
 */
export function assignWindows(
  fn: WindowFnSpec,
  timestamps: Float64Array,
): { source: Int32Array; start: Float64Array; end: Float64Array } | null {
  const n = timestamps.length;
  switch (fn.kind) {
    case "global":
      return null;
    case "fixed": {
      const source = new Int32Array(n);
      const start = new Float64Array(n);
      const end = new Float64Array(n);
      const { size, offset } = fn;
      for (let i = 0; i < n; i++) {
        const s = floorTo(timestamps[i], size, offset);
        source[i] = i;
        start[i] = s;
        // Windows end no later than the end of the global window (Beam's FixedWindows).
        end[i] = s + size < GLOBAL_END ? s + size : GLOBAL_END;
      }
      return { source, start, end };
    }
    case "sliding": {
      const per = Math.ceil(fn.size / fn.period);
      const source = new Int32Array(n * per);
      const start = new Float64Array(n * per);
      const end = new Float64Array(n * per);
      const { period, offset } = fn;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const ts = timestamps[i];
        const last = floorTo(ts, period, offset);
        for (let s = last; s > ts - fn.size; s -= period) {
          source[k] = i;
          start[k] = s;
          end[k] = s + fn.size < GLOBAL_END ? s + fn.size : GLOBAL_END;
          k++;
        }
      }
      return { source: source.subarray(0, k), start: start.subarray(0, k), end: end.subarray(0, k) };
    }
    case "custom":
      throw new RangeError(`internal: custom window function "${fn.name}" is assigned by its WindowInto operator`);
    case "sessions": {
      const source = new Int32Array(n);
      const start = new Float64Array(n);
      const end = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        source[i] = i;
        start[i] = timestamps[i];
        end[i] = timestamps[i] + fn.gap < GLOBAL_END ? timestamps[i] + fn.gap : GLOBAL_END;
      }
      return { source, start, end };
    }
  }
}

/** The window a side input is read in for a main-input window (Beam's default window mapping). */
export function sideInputWindow(sideFn: WindowFnSpec, mainWindow: Window): Window {
  if (sideFn.kind === "global") return GLOBAL_WINDOW;
  if (sideFn.kind === "sessions" || sideFn.kind === "custom") {
    throw new RangeError(`${sideFn.kind}-windowed PCollections cannot be side inputs: window them with fixed or global windows first`);
  }
  const ts = new Float64Array([windowMaxTimestamp(mainWindow)]);
  const a = assignWindows(sideFn, ts)!;
  // For sliding windows Beam takes the latest window containing the timestamp.
  let best = 0;
  for (let k = 1; k < a.start.length; k++) if (a.start[k] > a.start[best]) best = k;
  return { start: a.start[best], end: a.end[best], global: false };
}
