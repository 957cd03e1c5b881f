/**
 * State an operator declares instead of snapshotting it itself, the way Arroyo's operators declare
 * their tables: keyed tables (split by key group when a checkpoint restores at another parallelism),
 * item lists (items spread over the restoring instances), placed item lists (each item to the instance
 * its slot names) and common values (every instance takes the
 * first instance's). The execution snapshots declared state at every checkpoint barrier — after the
 * operator's `onCheckpoint` — and restores it before the operator opens, so an operator that keeps
 * only declared state writes no snapshot or restore code.
 */

/** A key of a keyed table: a grouping key's primitive form. */
export type StateKey = string | number | boolean | null;

/**
 * How a value of declared state goes into a snapshot and back. The snapshot form must survive a
 * structured clone; the default copies the value with `structuredClone` both ways.
 */
export interface StateCodec<T> {
  /** The snapshot form of a value (a copy: the operator keeps changing the value after the barrier). */
  encode(value: T): unknown;
  /** A value from its snapshot form. */
  decode(wire: unknown): T;
}

/** Keyed state: a map by key, split by key group at a restore at another parallelism. */
export type KeyedTable<V> = Map<StateKey, V>;

/** Non-keyed items (source parts, buffered rows): the restoring instances share them out. */
export interface ItemList<T> {
  /** The items; the operator may change the array or put another in its place. */
  values: T[];
}

/**
 * Items that each belong to one instance by a stable slot (source parts read by exactly one
 * instance): a restore at any parallelism gives an item to instance `slot % count`.
 */
export interface PlacedList<T> extends ItemList<T> {
  /** The slot of an item. */
  readonly slotOf: (item: T) => number;
}

/** A value every instance keeps whole (such as broadcast side inputs); a restore gives each the first instance's. */
export interface CommonValue<T> {
  value: T;
}

/**
 * What `OperatorContext.declareState()` returns: declare each piece of state by a name unique within
 * the operator, while the operator is made (before it opens).
 */
export interface OperatorState {
  /** Declares a keyed table. */
  keyed<V>(name: string, codec?: StateCodec<V>): KeyedTable<V>;
  /** Declares a list of items. */
  items<T>(name: string, codec?: StateCodec<T>): ItemList<T>;
  /** Declares a list of items placed by slot (`slotOf` must give a non-negative integer, the same for an item on every run). */
  placed<T>(name: string, slotOf: (item: T) => number, codec?: StateCodec<T>): PlacedList<T>;
  /** Declares a common value, `initial` until set or restored. */
  common<T>(name: string, initial: T, codec?: StateCodec<T>): CommonValue<T>;
  /** Whether the state was restored from a checkpoint (known once the operator opens). */
  readonly restored: boolean;
}
