/**
 * The timers a stateful DoFn sees, for both runners: `set`, `setAfter`, `setRelative` with Beam's
 * `offset` and `align`, and `clear`, with every rule a setting must keep (raised as BL_BAD_TIMER).
 * The runner only stores what is set or cleared ({@link TimerSink}).
 */
import { UserCodeError } from "../../../sdk/errors";
import type { TimeDomain, Timer, TimerSetOptions } from "../../../sdk/state";
import { durationMs, formatTimestamp, MAX_TIMESTAMP } from "../../../sdk/time";
import { windowMaxTimestamp, type Window } from "../../../sdk/window";

/** A timer setting as the runner stores it. */
export interface TimerSetting {
  readonly name: string;
  readonly domain: TimeDomain;
  /** When it fires (ms). */
  readonly at: number;
  /** The timestamp of what `onTimer` outputs; holds the output watermark while the timer is pending. */
  readonly outputTimestamp: number;
}

/** Where the timers of one key and window are stored. */
export interface TimerSink {
  set(setting: TimerSetting): void;
  clear(name: string): void;
}

/** What a timer handle reads when it is set. */
export interface TimerClock {
  /** The timestamp of the element or timer being processed. */
  contextTimestamp(): number;
  /** The runner's processing time (ms). */
  processingTime(): number;
}

/** When a window's state and timers expire: the end of the window plus the allowed lateness. */
export function expiryOf(window: Window, allowedLateness: number): number {
  return Math.min(windowMaxTimestamp(window) + allowedLateness, MAX_TIMESTAMP - 1);
}

/**
 * When a relative timer fires (Beam's `Timer.setRelative`): `now + offset`, or with a `period`, the
 * first time at or after `now` whose sum with `offset` is a multiple of `period`.
 */
export function relativeFiringTime(now: number, offset: number, period: number): number {
  if (period === 0) return now + offset;
  const since = (((now + offset) % period) + period) % period;
  return since === 0 ? now : now + period - since;
}

/** Where a timer handle is, for its checks and errors. */
export interface TimerPlace {
  /** The transform, for errors. */
  readonly where: string;
  readonly name: string;
  readonly domain: TimeDomain;
  readonly window: Window;
  readonly allowedLateness: number;
}

/** The handle of one timer of one key and window. */
export function timerHandle(place: TimerPlace, clock: TimerClock, sink: TimerSink, offset = 0, period = 0): Timer {
  const { name, domain, window } = place;
  const set = (at: number, options?: TimerSetOptions) => {
    const outputTimestamp = options?.outputTimestamp ?? (domain === "event" ? at : clock.contextTimestamp());
    checkTimer(place, clock.contextTimestamp(), at, outputTimestamp, options?.outputTimestamp !== undefined);
    sink.set({ name, domain, at, outputTimestamp });
  };
  const now = () => (domain === "event" ? clock.contextTimestamp() : clock.processingTime());
  return {
    set,
    setAfter: (delay, options) => set(now() + durationMs(delay), options),
    setRelative(options) {
      const at = relativeFiringTime(now(), offset, period);
      set(domain === "event" ? Math.min(at, expiryOf(window, place.allowedLateness)) : at, options);
    },
    offset: (o) => timerHandle(place, clock, sink, checkDuration(place, "offset", o), period),
    align: (p) => timerHandle(place, clock, sink, offset, checkDuration(place, "align", p, true)),
    clear: () => sink.clear(name),
  };
}

function fail(place: TimerPlace, value: unknown, rule: string, fix: string): never {
  throw new UserCodeError({ code: "BL_BAD_TIMER", where: `${place.where}, timer "${place.name}"`, value, rule, fix });
}

/** A duration in ms of `offset` or `align` (a period must be positive). */
function checkDuration(place: TimerPlace, what: string, d: number | string, positive = false): number {
  let ms: number;
  try {
    ms = durationMs(d);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || (positive && ms <= 0)) {
    fail(place, d, `${what} takes a ${positive ? "positive " : ""}finite duration`, 'pass ms or a duration such as "10s" or "1m"');
  }
  return ms;
}

/** Throws unless a timer may fire at `at` with output timestamp `out`, set while processing something at `contextTs`. */
function checkTimer(place: TimerPlace, contextTs: number, at: number, out: number, outGiven: boolean): void {
  const { domain, window } = place;
  if (typeof at !== "number" || !Number.isFinite(at)) fail(place, at, "a timer must be set to a finite number of ms", "pass a timestamp in ms, e.g. ctx.timestamp + 60_000");
  const expiry = expiryOf(window, place.allowedLateness);
  if (domain === "event" && at > expiry) {
    fail(place, formatTimestamp(at), `an event-time timer must fire before its window expires (at ${formatTimestamp(expiry)}: the window's end plus the allowed lateness)`, "set it no later than windowMaxTimestamp(ctx.window), or allow more lateness");
  }
  if (!outGiven) return;
  if (typeof out !== "number" || !Number.isFinite(out)) fail(place, out, "an output timestamp must be a finite number of ms", "pass a timestamp in ms");
  if (out < contextTs) fail(place, formatTimestamp(out), `a timer's output timestamp may not be earlier than the element or timer that sets it (${formatTimestamp(contextTs)})`, "use a later output timestamp");
  if (domain === "event" && out > at) fail(place, formatTimestamp(out), `an event-time timer's output timestamp may not be later than when it fires (${formatTimestamp(at)})`, "use an output timestamp at or before the firing time");
  if (out > windowMaxTimestamp(window)) fail(place, formatTimestamp(out), "a timer's output timestamp must lie in its window", "use an output timestamp before the window's end");
}
