/**
 * The DoFn contract. A DoFn processes rows one at a time with a lifecycle (setup, startBundle,
 * process, finishBundle, teardown), may emit to tagged outputs and read side inputs.
 */
import type { PaneInfo } from "./batch";
import type { PCollection } from "./pcollection";
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
}

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

/** A row-at-a-time function with a lifecycle. Only `process` is required. */
export interface DoFn<I, O> {
  /** Once per instance, before any bundle: open connections, load models. */
  setup?(ctx: SetupContext): void | Promise<void>;
  /** Before each bundle. */
  startBundle?(): void;
  /** For each row. */
  process(row: I, ctx: ProcessContext<O>): void;
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
