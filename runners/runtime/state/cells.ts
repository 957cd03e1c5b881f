/**
 * The six state cells of a stateful DoFn (value, bag, combining, map, set, ordered list) over a cell's
 * stored list of values (./storage.ts), with every rule of each kind, for both runners:
 * - value: the list holds the value, or nothing;
 * - bag: the values in insertion order;
 * - combining: accumulators, merged when read (an `add` leaves one);
 * - map: `[key, value]` entries, the last of a key winning, keys in order of first appearance; the
 *   list is rewritten without overwritten entries once they outnumber the live ones;
 * - set: its members;
 * - ordered list: `{timestamp, value}` entries; timestamps are numbers within Beam's range.
 */
import type { CombineFn } from "../../../sdk/combine";
import { UserCodeError } from "../../../sdk/errors";
import {
  valueKey, type BagState, type CombiningState, type MapState, type OrderedListState, type SetState, type StateSpec, type StateSpecs,
  type TimestampedValue, type ValueState,
} from "../../../sdk/state";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { CellContents, type CellStorage } from "./storage";

/** The handle user code gets for cell `name` (declared by `spec`) over its storage. */
export function cellHandle(name: string, spec: StateSpec<unknown>, storage: CellStorage): unknown {
  const cell = new CellContents(storage);
  switch (spec.kind) {
    case "value":
      return new ValueCell(cell);
    case "bag":
      return new BagCell(cell);
    case "combining":
      return new CombiningCell(cell, spec.combineFn!);
    case "map":
      return mapCell(cell);
    case "set":
      return setCell(cell);
    case "orderedList":
      return orderedListCell(name, cell);
  }
}

/** The handles of every declared cell, by name, over the storage `storageOf` gives each. */
export function stateCells(specs: StateSpecs, storageOf: (name: string) => CellStorage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = cellHandle(name, spec, storageOf(name));
  return out;
}

// Value, bag and combining cells are classes, their methods on the prototype: a stateful DoFn makes a
// handle per key and window, which closures would cost a few hundred bytes of heap each.

class ValueCell<T> implements ValueState<T> {
  constructor(private readonly cell: CellContents) {}
  read(): T | undefined {
    return this.cell.read()[0] as T | undefined;
  }
  write(v: T): void {
    this.cell.replace([v]);
  }
  clear(): void {
    this.cell.replace([]);
  }
}

class BagCell<T> implements BagState<T> {
  constructor(private readonly cell: CellContents) {}
  add(v: T): void {
    this.cell.append(v);
  }
  read(): T[] {
    return [...this.cell.read()] as T[];
  }
  isEmpty(): boolean {
    return this.cell.empty;
  }
  clear(): void {
    this.cell.replace([]);
  }
}

class CombiningCell<I, A, O> implements CombiningState<I, A, O> {
  constructor(
    private readonly cell: CellContents,
    private readonly fn: CombineFn<I, A, O>,
  ) {}
  readAccumulator(): A {
    const accs = this.cell.read() as A[];
    if (accs.length === 0) return this.fn.createAccumulator();
    return accs.length === 1 ? accs[0] : this.fn.mergeAccumulators([...accs]);
  }
  add(input: I): void {
    this.cell.replace([this.fn.addInput(this.readAccumulator(), input)]);
  }
  addAccumulator(acc: A): void {
    this.cell.append(acc);
  }
  read(): O {
    return this.fn.extractOutput(this.readAccumulator());
  }
  isEmpty(): boolean {
    return this.cell.empty;
  }
  clear(): void {
    this.cell.replace([]);
  }
}

/** A map cell's live entries by canonical key: the last write of a key wins, keys keep their first position. */
function mapEntries<K, V>(cell: CellContents): Map<string, [K, V]> {
  const put = (m: Map<string, [K, V]>, e: unknown) => void m.set(valueKey((e as [K, V])[0]), e as [K, V]);
  return cell.view(
    "map",
    (items) => {
      const m = new Map<string, [K, V]>();
      for (const e of items) put(m, e);
      return m;
    },
    put,
  );
}

function mapCell<K, V>(cell: CellContents): MapState<K, V> {
  const live = () => [...mapEntries<K, V>(cell).values()];
  const put = (k: K, v: V) => {
    const m = mapEntries<K, V>(cell);
    // Overwritten entries stay in the list until they outnumber the live ones.
    if (m.has(valueKey(k)) && cell.read().length >= 2 * m.size + 8) cell.replace(live().map(([x, y]) => (valueKey(x) === valueKey(k) ? [x, v] : [x, y])));
    else cell.append([k, v]);
  };
  return {
    get: (k) => mapEntries<K, V>(cell).get(valueKey(k))?.[1],
    put,
    putIfAbsent(k, v) {
      const hit = mapEntries<K, V>(cell).get(valueKey(k));
      if (hit) return hit[1];
      cell.append([k, v]);
      return undefined;
    },
    has: (k) => mapEntries<K, V>(cell).has(valueKey(k)),
    remove: (k) => {
      const id = valueKey(k);
      if (mapEntries<K, V>(cell).has(id)) cell.replace(live().filter((e) => valueKey(e[0]) !== id));
    },
    keys: () => live().map((e) => e[0]),
    values: () => live().map((e) => e[1]),
    entries: () => live().map(([k, v]) => [k, v]),
    isEmpty: () => mapEntries(cell).size === 0,
    clear: () => cell.replace([]),
  };
}

function setCell<T>(cell: CellContents): SetState<T> {
  const enter = (m: Map<string, T>, v: unknown) => {
    const k = valueKey(v);
    if (!m.has(k)) m.set(k, v as T);
  };
  const members = () =>
    cell.view(
      "set",
      (items) => {
        const m = new Map<string, T>();
        for (const v of items) enter(m, v);
        return m;
      },
      enter,
    );
  const addIfAbsent = (v: T) => {
    if (members().has(valueKey(v))) return false;
    cell.append(v);
    return true;
  };
  return {
    add: (v) => void addIfAbsent(v),
    addIfAbsent,
    has: (v) => members().has(valueKey(v)),
    remove: (v) => {
      const id = valueKey(v);
      if (members().has(id)) cell.replace([...members().values()].filter((x) => valueKey(x) !== id));
    },
    read: () => [...members().values()],
    isEmpty: () => cell.empty,
    clear: () => cell.replace([]),
  };
}

function orderedListCell<T>(name: string, cell: CellContents): OrderedListState<T> {
  type E = TimestampedValue<T>;
  // Sorted by a stable sort, extended by inserting after equal timestamps: ties stay in insertion order.
  const sorted = () =>
    cell.view(
      "sorted",
      (items) => [...(items as E[])].sort((a, b) => a.timestamp - b.timestamp),
      (xs, e) => void xs.splice(firstAtOrAbove(xs, (e as E).timestamp, true), 0, e as E),
    );
  const copies = (xs: readonly E[]): E[] => xs.map((e) => ({ timestamp: e.timestamp, value: e.value }));
  const range = (from: number, to: number): [number, number] => {
    checkBound(name, "from", from);
    checkBound(name, "to", to);
    const xs = sorted();
    return [firstAtOrAbove(xs, from), Math.max(firstAtOrAbove(xs, from), firstAtOrAbove(xs, to))];
  };
  return {
    add: (timestamp, value) => {
      checkTimestamp(name, timestamp);
      cell.append({ timestamp, value });
    },
    read: () => copies(sorted()),
    readRange: (from, to) => {
      const [lo, hi] = range(from, to);
      return copies(sorted().slice(lo, hi));
    },
    clearRange: (from, to) => {
      const [lo, hi] = range(from, to);
      if (hi > lo) {
        const xs = sorted();
        cell.replace([...xs.slice(0, lo), ...xs.slice(hi)]);
      }
    },
    isEmpty: () => cell.empty,
    clear: () => cell.replace([]),
  };
}

/** Throws unless `ts` is a timestamp an ordered list can hold: a number of ms within Beam's range. */
function checkTimestamp(cell: string, ts: unknown): void {
  if (typeof ts === "number" && ts >= MIN_TIMESTAMP && ts <= MAX_TIMESTAMP) return;
  throw new UserCodeError({
    code: "BL_BAD_ORDERED_LIST_TIMESTAMP",
    where: `ordered list state "${cell}"`,
    value: typeof ts === "number" ? String(ts) : ts,
    rule: `an ordered list sorts its values by a numeric timestamp (ms) between ${MIN_TIMESTAMP} and ${MAX_TIMESTAMP}, and NaN, infinities and other values have no place in that order`,
    fix: "pass a timestamp in ms, such as ctx.timestamp, and check values computed from the data before adding them",
  });
}

/** Throws unless a range bound of an ordered list is a number (infinities allowed: an open end). */
function checkBound(cell: string, which: string, bound: unknown): void {
  if (typeof bound === "number" && !Number.isNaN(bound)) return;
  throw new UserCodeError({
    code: "BL_BAD_ORDERED_LIST_TIMESTAMP",
    where: `ordered list state "${cell}"`,
    value: typeof bound === "number" ? String(bound) : bound,
    rule: `a range of an ordered list is bounded by numeric timestamps (ms), and its "${which}" bound is not one`,
    fix: "pass timestamps in ms; MIN_TIMESTAMP and MAX_TIMESTAMP bound the whole list",
  });
}

/** Index of the first entry with timestamp >= ts, or > ts when `after` (the insert point keeping ties in insertion order). */
function firstAtOrAbove(xs: readonly TimestampedValue<unknown>[], ts: number, after = false): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid].timestamp < ts || (after && xs[mid].timestamp === ts)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
