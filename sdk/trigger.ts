/**
 * Triggers: when a window's pane is emitted. A trigger is plain JSON data (it is stored in the
 * pipeline graph inside the windowing strategy); the functions here build and check it, mirroring
 * Beam's triggers: `AfterWatermark.pastEndOfWindow()` with early and late firings,
 * `AfterProcessingTime.pastFirstElementInPane()`, `AfterPane.elementCountAtLeast(n)`,
 * `Repeatedly.forever`, `AfterEach.inOrder`, `AfterFirst.of`, `AfterAll.of`, `orFinally` and
 * `Never.ever()`. The runner turns a spec into a state machine.
 *
 * @example
 * windowInto(fixedWindows("20m"), {
 *   trigger: afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") }),
 *   allowedLateness: "1h",
 *   accumulation: "accumulating",
 * })
 */
import { PipelineConstructionError, describeValue } from "./errors";
import { durationMs } from "./time";

/** A duration: a number of ms, or a string such as `"500ms"`, `"10s"`, `"5m"`, `"1h"`. */
export type Duration = number | string;

/**
 * A step that maps the processing time of a pane's first element to the time an
 * {@link afterProcessingTime} trigger becomes ready. Steps apply in order.
 */
export type TimestampTransform =
  /** Adds `ms` milliseconds. */
  | { readonly kind: "delay"; readonly ms: number }
  /** Rounds up to the next `offset + k * period` (a time already on a boundary is kept). */
  | { readonly kind: "alignTo"; readonly period: number; readonly offset: number };

/** A trigger, as data. */
export type TriggerSpec =
  /** Beam's default trigger: fires when the watermark passes the end of the window, then for every late pane; never finishes. */
  | { readonly kind: "default" }
  /** Fires once when the watermark passes the end of the window; `early` repeats before it, `late` repeats after it. */
  | { readonly kind: "afterWatermark"; readonly early?: TriggerSpec; readonly late?: TriggerSpec }
  /** Fires once when processing time reaches the (transformed) processing time of the pane's first element. */
  | { readonly kind: "afterProcessingTime"; readonly transforms: readonly TimestampTransform[] }
  /** Fires once when the pane holds at least `count` elements. */
  | { readonly kind: "afterCount"; readonly count: number }
  /** Fires whenever `trigger` fires, resetting it each time; never finishes. */
  | { readonly kind: "repeatedly"; readonly trigger: TriggerSpec }
  /** Fires as its triggers fire, one after the other; finishes when the last finishes. */
  | { readonly kind: "afterEach"; readonly triggers: readonly TriggerSpec[] }
  /** Fires once when any of its triggers fires. */
  | { readonly kind: "afterFirst"; readonly triggers: readonly TriggerSpec[] }
  /** Fires once when every one of its triggers has fired. */
  | { readonly kind: "afterAll"; readonly triggers: readonly TriggerSpec[] }
  /** Fires as `trigger` does, and a last time (then finishes) when `until` fires. */
  | { readonly kind: "orFinally"; readonly trigger: TriggerSpec; readonly until: TriggerSpec }
  /** Never fires; only the final pane at window expiry is emitted. */
  | { readonly kind: "never" };

/** The `kind` of each trigger spec. */
export type TriggerKind = TriggerSpec["kind"];

const KINDS: readonly TriggerKind[] = [
  "default", "afterWatermark", "afterProcessingTime", "afterCount", "repeatedly",
  "afterEach", "afterFirst", "afterAll", "orFinally", "never",
];

const ONCE_KINDS = "afterCount, afterProcessingTime, afterFirst, afterAll, afterWatermark() without early or late firings, never";

/** Beam's default trigger: fires when the watermark passes the end of the window and again for each late pane. */
export function defaultTrigger(): TriggerSpec {
  return { kind: "default" };
}

/** Options of {@link afterWatermark}. */
export interface AfterWatermarkOptions {
  /** Fires speculative panes before the watermark passes the end of the window; reset after each firing. */
  readonly early?: TriggerSpec;
  /** Fires late panes after the on-time pane; reset after each firing. */
  readonly late?: TriggerSpec;
}

/**
 * Fires when the watermark passes the end of the window (Beam's `AfterWatermark.pastEndOfWindow()`),
 * with optional repeated early and late firings. Without late firings it finishes at the on-time
 * pane, and later data for that window is dropped.
 */
export function afterWatermark(options: AfterWatermarkOptions = {}): TriggerSpec {
  for (const key of Object.keys(options)) {
    if (key !== "early" && key !== "late") {
      invalid(options, `afterWatermark takes only the options "early" and "late", not "${key}"`, "pass { early?, late? }");
    }
  }
  const spec: { kind: "afterWatermark"; early?: TriggerSpec; late?: TriggerSpec } = { kind: "afterWatermark" };
  if (options.early !== undefined) spec.early = onceTrigger(options.early, "afterWatermark early firings");
  if (options.late !== undefined) spec.late = onceTrigger(options.late, "afterWatermark late firings");
  return spec;
}

/** Adds a delay, for {@link afterProcessingTime} (Beam's `plusDelayOf`). */
export function plusDelayOf(delay: Duration): TimestampTransform {
  return { kind: "delay", ms: nonNegative(delay, "plusDelayOf delay") };
}

/**
 * Rounds up to the next multiple of `period` after `offset` (ms since the epoch, or a duration),
 * for {@link afterProcessingTime} (Beam's `alignedTo`).
 */
export function alignedTo(period: Duration, offset: Duration = 0): TimestampTransform {
  const p = nonNegative(period, "alignedTo period");
  if (p === 0) invalid(period, "alignedTo needs a positive period", 'pass a period such as "1m"');
  return { kind: "alignTo", period: p, offset: finite(offset, "alignedTo offset") };
}

/**
 * Fires once when processing time reaches the processing time of the first element in the pane plus
 * `delay` (Beam's `AfterProcessingTime.pastFirstElementInPane().plusDelayOf(delay)`). Further steps,
 * such as {@link alignedTo}, apply after the delay.
 *
 * @example afterProcessingTime("10m")
 * @example afterProcessingTime(0, alignedTo("1m"))
 */
export function afterProcessingTime(delay: Duration = 0, ...then: TimestampTransform[]): TriggerSpec {
  const ms = nonNegative(delay, "afterProcessingTime delay");
  const transforms: TimestampTransform[] = ms > 0 ? [{ kind: "delay", ms }] : [];
  for (const t of then) transforms.push(checkTransform(t, "afterProcessingTime"));
  return { kind: "afterProcessingTime", transforms };
}

/** Fires once when the pane holds at least `n` elements (Beam's `AfterPane.elementCountAtLeast(n)`). */
export function afterCount(n: number): TriggerSpec {
  if (!Number.isSafeInteger(n) || n < 1) {
    invalid(n, "afterCount needs a whole number of elements of at least 1", "use afterCount(1) to fire on every element");
  }
  return { kind: "afterCount", count: n };
}

/** Fires every time `trigger` fires, resetting it after each firing; never finishes. */
export function repeatedly(trigger: TriggerSpec): TriggerSpec {
  return { kind: "repeatedly", trigger: validateTrigger(trigger, "repeatedly") };
}

/** Fires as each trigger in turn fires; finishes when the last one finishes (Beam's `AfterEach.inOrder`). */
export function afterEach(...triggers: TriggerSpec[]): TriggerSpec {
  return { kind: "afterEach", triggers: list(triggers, "afterEach", false) };
}

/** Fires once, as soon as any of the triggers fires (Beam's `AfterFirst.of`). */
export function afterFirst(...triggers: TriggerSpec[]): TriggerSpec {
  return { kind: "afterFirst", triggers: list(triggers, "afterFirst", true) };
}

/** Fires once, when every one of the triggers has fired (Beam's `AfterAll.of`). */
export function afterAll(...triggers: TriggerSpec[]): TriggerSpec {
  return { kind: "afterAll", triggers: list(triggers, "afterAll", true) };
}

/** Fires as `trigger` fires, and finishes (with a last firing) as soon as `until` fires. */
export function orFinally(trigger: TriggerSpec, until: TriggerSpec): TriggerSpec {
  return {
    kind: "orFinally",
    trigger: validateTrigger(trigger, "orFinally trigger"),
    until: onceTrigger(until, "orFinally until"),
  };
}

/** Never fires: the only pane is the final one emitted when the window expires. */
export function never(): TriggerSpec {
  return { kind: "never" };
}

/**
 * Whether the trigger fires at most once (Beam's `OnceTrigger`): afterCount, afterProcessingTime,
 * afterFirst, afterAll, never, and afterWatermark without early or late firings.
 */
export function firesOnce(spec: TriggerSpec): boolean {
  switch (spec.kind) {
    case "afterCount":
    case "afterProcessingTime":
    case "afterFirst":
    case "afterAll":
    case "never":
      return true;
    case "afterWatermark":
      return spec.early === undefined && spec.late === undefined;
    default:
      return false;
  }
}

/** Whether any part of the trigger waits on processing time. */
export function usesProcessingTime(spec: TriggerSpec): boolean {
  return subTriggers(spec).some(usesProcessingTime) || spec.kind === "afterProcessingTime";
}

/** The triggers directly inside `spec`, in order (early before late, trigger before until). */
export function subTriggers(spec: TriggerSpec): TriggerSpec[] {
  switch (spec.kind) {
    case "afterWatermark":
      return [spec.early, spec.late].filter((t): t is TriggerSpec => t !== undefined);
    case "repeatedly":
      return [spec.trigger];
    case "afterEach":
    case "afterFirst":
    case "afterAll":
      return [...spec.triggers];
    case "orFinally":
      return [spec.trigger, spec.until];
    default:
      return [];
  }
}

/**
 * Checks that a value read from outside (a deserialized graph, user input) is a well-formed trigger
 * spec, and returns it. Throws a {@link PipelineConstructionError} naming the bad part otherwise.
 */
export function validateTrigger(spec: unknown, where = "trigger"): TriggerSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    invalid(spec, `${where} must be a trigger spec object such as { kind: "default" }`, "build triggers with afterWatermark(), afterCount(n), repeatedly(t) and the other trigger functions", where);
  }
  const s = spec as Record<string, unknown>;
  const kind = s.kind as TriggerKind;
  if (!KINDS.includes(kind)) {
    invalid(spec, `${where} has an unknown kind ${describeValue(s.kind)} (known: ${KINDS.join(", ")})`, "build triggers with the trigger functions of beamline", where);
  }
  const sub = (v: unknown, w: string): TriggerSpec => validateTrigger(v, `${where} > ${w}`);
  switch (kind) {
    case "afterWatermark":
      if (s.early !== undefined) onceTrigger(sub(s.early, "early"), `${where} early firings`);
      if (s.late !== undefined) onceTrigger(sub(s.late, "late"), `${where} late firings`);
      break;
    case "afterProcessingTime":
      if (!Array.isArray(s.transforms)) invalid(spec, `${where} needs a list of timestamp transforms`, "build it with afterProcessingTime(delay)", where);
      for (const t of s.transforms as unknown[]) checkTransform(t, where);
      break;
    case "afterCount":
      if (!Number.isSafeInteger(s.count) || (s.count as number) < 1) {
        invalid(s.count, `${where}: afterCount needs a whole number of elements of at least 1`, "use afterCount(1) to fire on every element", where);
      }
      break;
    case "repeatedly":
      sub(s.trigger, "repeatedly");
      break;
    case "afterEach":
    case "afterFirst":
    case "afterAll":
      if (!Array.isArray(s.triggers)) invalid(spec, `${where} needs a list of triggers`, `build it with ${kind}(t1, t2)`, where);
      list((s.triggers as unknown[]).map((t, i) => sub(t, `${kind}[${i}]`)), kind, kind !== "afterEach", where);
      break;
    case "orFinally":
      sub(s.trigger, "orFinally trigger");
      onceTrigger(sub(s.until, "until"), `${where} until`);
      break;
    default:
      break;
  }
  return spec as TriggerSpec;
}

/**
 * Prints a trigger the way Beam prints it, e.g.
 * `AfterWatermark.pastEndOfWindow().withEarlyFirings(AfterPane.elementCountAtLeast(1))`.
 */
export function describeTrigger(spec: TriggerSpec): string {
  switch (spec.kind) {
    case "default":
      return "DefaultTrigger";
    case "afterWatermark": {
      let text = "AfterWatermark.pastEndOfWindow()";
      if (spec.early) text += `.withEarlyFirings(${describeTrigger(spec.early)})`;
      if (spec.late) text += `.withLateFirings(${describeTrigger(spec.late)})`;
      return text;
    }
    case "afterProcessingTime":
      return (
        "AfterProcessingTime.pastFirstElementInPane()" +
        spec.transforms
          .map((t) => (t.kind === "delay" ? `.plusDelayOf(${formatDuration(t.ms)})` : `.alignedTo(${formatDuration(t.period)}, ${t.offset})`))
          .join("")
      );
    case "afterCount":
      return `AfterPane.elementCountAtLeast(${spec.count})`;
    case "repeatedly":
      return `Repeatedly.forever(${describeTrigger(spec.trigger)})`;
    case "afterEach":
      return `AfterEach.inOrder(${spec.triggers.map(describeTrigger).join(", ")})`;
    case "afterFirst":
      return `AfterFirst.of(${spec.triggers.map(describeTrigger).join(", ")})`;
    case "afterAll":
      return `AfterAll.of(${spec.triggers.map(describeTrigger).join(", ")})`;
    case "orFinally":
      return `${describeTrigger(spec.trigger)}.orFinally(${describeTrigger(spec.until)})`;
    case "never":
      return "Never.ever()";
  }
}

/** Formats ms in the largest whole unit: `5 minutes`, `1 hour`, `1500 ms`. */
function formatDuration(ms: number): string {
  const units: [number, string][] = [[86_400_000, "day"], [3_600_000, "hour"], [60_000, "minute"], [1000, "second"]];
  for (const [size, name] of units) {
    if (ms !== 0 && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${ms} ms`;
}

function invalid(value: unknown, rule: string, fix: string, where?: string): never {
  throw new PipelineConstructionError({ code: "BL_INVALID_TRIGGER", value, rule, fix, ...(where ? { where } : {}) });
}

function onceTrigger(spec: unknown, what: string): TriggerSpec {
  const t = validateTrigger(spec, what);
  if (!firesOnce(t)) {
    invalid(
      describeTrigger(t),
      `${what} must be a trigger that fires once (${ONCE_KINDS})`,
      t.kind === "repeatedly"
        ? `pass ${describeTrigger(t.trigger)} itself: it is reset after each firing`
        : "wrap the repeating part differently, e.g. orFinally(repeatedly(t), until) at the top level",
    );
  }
  return t;
}

function list(triggers: readonly unknown[], what: string, once: boolean, where?: string): TriggerSpec[] {
  if (triggers.length === 0) invalid([], `${what} needs at least one trigger`, `pass triggers, e.g. ${what}(afterCount(10), afterProcessingTime("1m"))`, where);
  return triggers.map((t, i) => (once ? onceTrigger(t, `${what} trigger ${i}`) : validateTrigger(t, `${what} trigger ${i}`)));
}

function checkTransform(t: unknown, where: string): TimestampTransform {
  const x = t as Record<string, unknown> | null;
  if (x && x.kind === "delay" && typeof x.ms === "number" && Number.isFinite(x.ms) && x.ms >= 0) return t as TimestampTransform;
  if (x && x.kind === "alignTo" && typeof x.period === "number" && x.period > 0 && Number.isFinite(x.period) && typeof x.offset === "number" && Number.isFinite(x.offset)) {
    return t as TimestampTransform;
  }
  return invalid(t, `${where}: a timestamp transform must be plusDelayOf(d) with d >= 0 or alignedTo(period, offset) with period > 0`, "build it with plusDelayOf or alignedTo");
}

function finite(d: Duration, what: string): number {
  let ms: number;
  try {
    ms = durationMs(d);
  } catch {
    return invalid(d, `${what} must be a number of ms or a duration like "10s", "5m", "1h"`, 'pass e.g. 60000 or "1m"');
  }
  if (!Number.isFinite(ms)) invalid(d, `${what} must be finite`, 'pass e.g. 60000 or "1m"');
  return ms;
}

function nonNegative(d: Duration, what: string): number {
  const ms = finite(d, what);
  if (ms < 0) invalid(d, `${what} must not be negative`, "pass 0 or a positive duration");
  return ms;
}
