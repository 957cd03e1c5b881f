/**
 * The DoFn contract. A DoFn processes rows one at a time with a lifecycle (setup, startBundle,
 * process, finishBundle, teardown), may emit to tagged outputs and read side inputs.
 */
import type { PaneInfo } from "./batch";
import type { PCollection } from "./pcollection";
import type { StateCells, StateSpecs, TimeDomain, TimerSpecs, Timers } from "./state";
import type { Window } from "./window";

/** Where an output goes and with which event time. */
export interface OutputOptions {
  /** The output tag; the main output when absent. */
  readonly tag?: string;
  /** The event timestamp (ms); the input's by default. Beam forbids moving it earlier than the input's. */
  readonly timestamp?: number;
}

/** Given to `process` for each row. */
export interface ProcessContext<O> {
  /** The row's event timestamp in ms. */
  readonly timestamp: number;
  /** The row's window. */
  readonly window: Window;
  /** The row's pane (after grouping). */
  readonly pane: PaneInfo;
  /** Emits a row to the main output. */
  output(row: O): void;
  /** Emits a row to a tagged output, or with a new timestamp. */
  output(row: unknown, options: OutputOptions): void;
  /** The value of a side input declared under `name`, in this row's window. */
  sideInput<V = unknown>(name: string): V;
  /** The run's processing-time clock (ms): the wall clock, or the simulated one under TestStream. */
  processingTime(): number;
}

/** Given to `process` of a DoFn that declares state or timers; rows are `{key, value}`. */
export interface StatefulProcessContext<K, O, S, Tm> extends ProcessContext<O> {
  /** The row's key. */
  readonly key: K;
  /** The declared state cells of this row's key and window. */
  readonly state: StateCells<S>;
  /** The declared timers of this row's key and window. */
  readonly timers: Timers<Tm>;
}

/** The context `process` gets: stateful when the DoFn declares state cells or timers. */
export type ProcessContextOf<I, O, S, Tm> = [keyof S | keyof Tm] extends [never] ? ProcessContext<O> : StatefulProcessContext<KeyOf<I>, O, S, Tm>;

/** Given to `onTimer` when a timer fires. */
export interface TimerContext<K, O, S = {}, Tm = {}> {
  /** The key the timer was set for. */
  readonly key: K;
  /** The window the timer was set in. */
  readonly window: Window;
  /** When the timer was set to fire (ms). */
  readonly timestamp: number;
  /** The timestamp outputs get by default: the timer's output timestamp. */
  readonly outputTimestamp: number;
  /** The timer's time domain. */
  readonly timeDomain: TimeDomain;
  /** Emits a row to the main output at the timer's output timestamp, in the timer's window. */
  output(row: O): void;
  /** Emits a row to a tagged output, or with a later timestamp. */
  output(row: unknown, options: OutputOptions): void;
  /** The state cells of the key and window. */
  readonly state: StateCells<S>;
  /** The timers of the key and window (a timer may set itself again). */
  readonly timers: Timers<Tm>;
  /** The run's processing-time clock (ms); simulated under TestStream. */
  processingTime(): number;
}

/** Given to `onWindowExpiration`, just before a window's state of one key is cleared. */
export interface WindowExpirationContext<K, O, S = {}> {
  /** The key. */
  readonly key: K;
  /** The expiring window. */
  readonly window: Window;
  /** Emits a row at the window's maximum timestamp (or a later-set `timestamp` within the window). */
  output(row: O): void;
  /** Emits a row to a tagged output, or with another timestamp. */
  output(row: unknown, options: OutputOptions): void;
  /** The state cells of the key and window, still readable. */
  readonly state: StateCells<S>;
}

/** The key type of `{key, value}` rows. */
export type KeyOf<I> = I extends { key: infer K } ? K : unknown;

/** Given to `finishBundle`. */
export interface FinishBundleContext {
  /** Emits a row; in the global window at `timestamp` (default: the minimum timestamp) unless a window is given. */
  output(row: unknown, options?: OutputOptions & { window?: Window }): void;
}

/** Given to `setup`. */
export interface SetupContext {
  /** The unique name of the transform. */
  readonly transformName: string;
}

/**
 * A row-at-a-time function with a lifecycle. Only `process` is required. A DoFn over `{key, value}`
 * rows may declare `state` cells and `timers` (see sdk/state.ts); it then runs keyed, with its state
 * and timers scoped per key and window, and its `onTimer` called as timers fire.
 */
export interface DoFn<I, O, S extends StateSpecs = {}, Tm extends TimerSpecs = {}> {
  /** State cells by name, e.g. `{ count: state.value<number>() }`. */
  readonly state?: S;
  /** Timers by name, e.g. `{ flush: timer.eventTime() }`. */
  readonly timers?: Tm;
  /** Once per instance, before any bundle: open connections, load models. */
  setup?(ctx: SetupContext): void | Promise<void>;
  /** Before each bundle. */
  startBundle?(): void;
  /** For each row. */
  process(row: I, ctx: ProcessContextOf<I, O, S, Tm>): void;
  /** A declared timer fired (timers fire in timestamp order per domain). */
  onTimer?(timer: keyof Tm & string, ctx: TimerContext<KeyOf<I>, O, S, Tm>): void;
  /** A window of a key expired (watermark past its end plus allowed lateness); its state is cleared next. */
  onWindowExpiration?(ctx: WindowExpirationContext<KeyOf<I>, O, S>): void;
  /** After each bundle; may emit buffered output. */
  finishBundle?(ctx: FinishBundleContext): void;
  /** Once per instance, at the end: release what setup acquired. */
  teardown?(): void | Promise<void>;
}

/** How a side input is presented to a DoFn. */
export interface SideInputView<V> {
  readonly kind: "singleton" | "iterable" | "map";
  readonly pcollection: PCollection<any>;
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  /** Type carrier; never set. */
  readonly __value?: V;
}

/** Side input views. */
export const sideInput = {
  /** Exactly one row (or `defaultValue` when there is none). */
  singleton<T>(pcollection: PCollection<T>, options?: { defaultValue?: T }): SideInputView<T> {
    const hasDefault = options !== undefined && "defaultValue" in options;
    return { kind: "singleton", pcollection, hasDefault, ...(hasDefault ? { defaultValue: options!.defaultValue } : {}) };
  },
  /** All rows, as an array. */
  iterable<T>(pcollection: PCollection<T>): SideInputView<T[]> {
    return { kind: "iterable", pcollection, hasDefault: false };
  },
  /** Rows `{key, value}` as a Map; keys must be unique. */
  map<K, V>(pcollection: PCollection<{ key: K; value: V }>): SideInputView<Map<K, V>> {
    return { kind: "map", pcollection, hasDefault: false };
  },
};
