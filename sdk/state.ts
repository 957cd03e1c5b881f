/**
 * State and timers of stateful DoFns, as in Beam. A DoFn over `{key, value}` rows declares state
 * cells (`state.value()`, `state.bag()`, `state.combining(fn)`, `state.map()`, `state.set()`,
 * `state.orderedList()`) and timers (`timer.eventTime()`, `timer.processingTime()`); the runner scopes
 * every cell per key and window, and every timer per key, window and name.
 * @example
 * const countPerKey: DoFn<KV<string, number>, KV<string, number>, { n: ValueStateSpec<number> }, { flush: TimerSpec }> = {
 *   state: { n: state.value<number>() },
 *   timers: { flush: timer.eventTime() },
 *   process(row, ctx) {
 *     ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
 *     ctx.timers.flush.set(windowMaxTimestamp(ctx.window));
 *   },
 *   onTimer(_name, ctx) {
 *     ctx.output({ key: ctx.key, value: ctx.state.n.read() ?? 0 });
 *   },
 * };
 */
import type { CombineFn } from "./combine";

/** A single value per key and window. */
export interface ValueState<T> {
  /** The value, or undefined when never written or cleared. */
  read(): T | undefined;
  /** Replaces the value. */
  write(value: T): void;
  /** Removes the value. */
  clear(): void;
}

/** An unordered collection values are appended to. */
export interface BagState<T> {
  /** Appends a value. */
  add(value: T): void;
  /** All values, in insertion order. */
  read(): T[];
  /** Whether the bag holds nothing. */
  isEmpty(): boolean;
  /** Empties the bag. */
  clear(): void;
}

/** Inputs folded into an accumulator by a CombineFn. */
export interface CombiningState<I, A, O> {
  /** Adds an input to the accumulator. */
  add(input: I): void;
  /** Merges another accumulator in. */
  addAccumulator(acc: A): void;
  /** The combined output (the CombineFn's output for an empty accumulator when nothing was added). */
  read(): O;
  /** The current accumulator. */
  readAccumulator(): A;
  /** Whether nothing was added since the last clear. */
  isEmpty(): boolean;
  /** Resets to an empty accumulator. */
  clear(): void;
}

/** A map from keys to values; keys compare by value (two equal objects are one key). */
export interface MapState<K, V> {
  /** The value under `key`, or undefined. */
  get(key: K): V | undefined;
  /** Sets the value under `key`. */
  put(key: K, value: V): void;
  /** Sets `value` under `key` unless a value is there; returns the value that was there, if any. */
  putIfAbsent(key: K, value: V): V | undefined;
  /** Whether `key` has a value. */
  has(key: K): boolean;
  /** Removes `key`. */
  remove(key: K): void;
  /** The keys, in insertion order. */
  keys(): K[];
  /** The values, in key insertion order. */
  values(): V[];
  /** The entries, in insertion order. */
  entries(): [K, V][];
  /** Whether the map is empty. */
  isEmpty(): boolean;
  /** Removes every entry. */
  clear(): void;
}

/** A set of values; values compare by value. */
export interface SetState<T> {
  /** Adds a value. */
  add(value: T): void;
  /** Adds a value; returns whether it was absent. */
  addIfAbsent(value: T): boolean;
  /** Whether the set holds `value`. */
  has(value: T): boolean;
  /** Removes a value. */
  remove(value: T): void;
  /** The values, in insertion order. */
  read(): T[];
  /** Whether the set is empty. */
  isEmpty(): boolean;
  /** Empties the set. */
  clear(): void;
}

/** A value with its sort timestamp in an {@link OrderedListState}. */
export interface TimestampedValue<T> {
  /** The sort key: a timestamp in ms. */
  readonly timestamp: number;
  readonly value: T;
}

/** Values kept sorted by a timestamp (ties in insertion order). */
export interface OrderedListState<T> {
  /** Adds `value` at `timestamp`. */
  add(timestamp: number, value: T): void;
  /** Every value, by timestamp. */
  read(): TimestampedValue<T>[];
  /** The values with `from <= timestamp < to`, by timestamp. */
  readRange(from: number, to: number): TimestampedValue<T>[];
  /** Removes the values with `from <= timestamp < to`. */
  clearRange(from: number, to: number): void;
  /** Whether the list is empty. */
  isEmpty(): boolean;
  /** Removes everything. */
  clear(): void;
}

/** A declared state cell; `H` is the handle user code gets. */
export interface StateSpec<H> {
  readonly kind: "value" | "bag" | "combining" | "map" | "set" | "orderedList";
  /** The CombineFn of combining state. */
  readonly combineFn?: CombineFn<any, any, any>;
  /** Type carrier; never set. */
  readonly __handle?: H;
}

/** A declared value cell. */
export type ValueStateSpec<T> = StateSpec<ValueState<T>>;
/** A declared bag. */
export type BagStateSpec<T> = StateSpec<BagState<T>>;
/** A declared combining cell. */
export type CombiningStateSpec<I, A, O> = StateSpec<CombiningState<I, A, O>>;
/** A declared map. */
export type MapStateSpec<K, V> = StateSpec<MapState<K, V>>;
/** A declared set. */
export type SetStateSpec<T> = StateSpec<SetState<T>>;
/** A declared ordered list. */
export type OrderedListStateSpec<T> = StateSpec<OrderedListState<T>>;

/** Constructors of state declarations. */
export const state = {
  /** A single value. */
  value<T>(): ValueStateSpec<T> {
    return { kind: "value" };
  },
  /** A bag of values. */
  bag<T>(): BagStateSpec<T> {
    return { kind: "bag" };
  },
  /** An accumulator of a CombineFn, or of a built-in aggregation such as `sum()` or `count()`. */
  combining<I, A, O>(fn: CombineFn<I, A, O> | { readonly fn: CombineFn<I, A, O> }): CombiningStateSpec<I, A, O> {
    return { kind: "combining", combineFn: "createAccumulator" in fn ? fn : fn.fn };
  },
  /** A map. */
  map<K, V>(): MapStateSpec<K, V> {
    return { kind: "map" };
  },
  /** A set. */
  set<T>(): SetStateSpec<T> {
    return { kind: "set" };
  },
  /** Values sorted by a timestamp. */
  orderedList<T>(): OrderedListStateSpec<T> {
    return { kind: "orderedList" };
  },
};

/** The time domain of a timer. */
export type TimeDomain = "event" | "processing";

/** A declared timer. */
export interface TimerSpec {
  readonly domain: TimeDomain;
}

/** Constructors of timer declarations. */
export const timer = {
  /** Fires when the input watermark passes the time it is set for. */
  eventTime(): TimerSpec {
    return { domain: "event" };
  },
  /** Fires when the processing-time clock reaches the time it is set for. */
  processingTime(): TimerSpec {
    return { domain: "processing" };
  },
};

/** Options of {@link Timer.set}. */
export interface TimerSetOptions {
  /**
   * The timestamp of what `onTimer` outputs, which holds the output watermark until the timer fires.
   * Defaults to the firing time for event-time timers, and to the timestamp of the element (or timer)
   * being processed for processing-time timers.
   */
  readonly outputTimestamp?: number;
}

/** A timer of the current key and window. */
export interface Timer {
  /** Sets (or moves) the timer to fire at `at` (ms). */
  set(at: number, options?: TimerSetOptions): void;
  /**
   * Sets the timer to fire `delay` (ms or a duration such as "1m") after now: after the current
   * processing time for a processing-time timer, after the element's (or firing timer's) timestamp
   * for an event-time timer.
   */
  setAfter(delay: number | string, options?: TimerSetOptions): void;
  /**
   * Sets the timer relative to now (Beam's `setRelative`): now is the processing time for a
   * processing-time timer, the element's (or firing timer's) timestamp for an event-time timer. It
   * fires at now plus the {@link Timer.offset}; with an {@link Timer.align} period, at the first time
   * at or after now whose sum with the offset is a multiple of the period. An event-time timer past
   * its window's expiry fires at the expiry instead.
   * @example
   * ctx.timers.flush.align("1m").offset("10s").setRelative(); // the next hh:mm:50
   */
  setRelative(options?: TimerSetOptions): void;
  /** This timer with an offset (ms or a duration such as "10s") for {@link Timer.setRelative}. */
  offset(offset: number | string): Timer;
  /** This timer with an alignment period (ms or a duration such as "1m") for {@link Timer.setRelative}. */
  align(period: number | string): Timer;
  /** Cancels the timer. */
  clear(): void;
}

/** Declared state cells by name. */
export type StateSpecs = { readonly [name: string]: StateSpec<unknown> };
/** Declared timers by name. */
export type TimerSpecs = { readonly [name: string]: TimerSpec };

/** The handles of declared state cells, by name. */
export type StateCells<S> = { readonly [N in keyof S]: S[N] extends StateSpec<infer H> ? H : never };
/** The handles of declared timers, by name. */
export type Timers<T> = { readonly [N in keyof T]: Timer };

/** Whether a DoFn-like object declares any state or timer (and needs a keyed, stateful ParDo). */
export function isStateful(dofn: { readonly state?: unknown; readonly timers?: unknown }): boolean {
  const hasAny = (o: unknown) => !!o && typeof o === "object" && Object.keys(o).length > 0;
  return hasAny(dofn.state) || hasAny(dofn.timers);
}

/**
 * @internal A canonical string for a value, so that equal values (deeply, whatever the object key
 * order; an integer number and the same bigint) give equal strings. Map and set state, per-key state
 * and test assertions compare values through it.
 */
export function valueKey(v: unknown): string {
  return JSON.stringify(normalized(v)) ?? "undefined";
}

function normalized(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : `${v}n`;
  if (typeof v === "number" && !Number.isFinite(v)) return `${v}`;
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return v.map(normalized);
  if (v instanceof Map) {
    const entries: [string, unknown][] = [...v.entries()].map(([k, x]) => [valueKey(k), normalized(x)]);
    return { "\u0000map": entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
  }
  if (v instanceof Set) return { "\u0000set": [...v].map(valueKey).sort() };
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = normalized((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
