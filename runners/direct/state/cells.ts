/**
 * State cells over plain data: each cell of a namespace (one key in one window) is a value, an array,
 * or a Map of arrays, so a table can be snapshotted with a structured clone. The handles user code
 * gets read and write that data in place.
 */
import type { CombineFn } from "../../../sdk/combine";
import {
  valueKey, type BagState, type CombiningState, type MapState, type OrderedListState, type SetState, type StateSpec,
  type TimestampedValue, type ValueState,
} from "../../../sdk/state";

/** The stored data of one cell; absent when the cell is empty. */
export type CellData =
  | { readonly kind: "value"; value: unknown }
  | { readonly kind: "bag"; items: unknown[] }
  | { readonly kind: "combining"; acc: unknown }
  | { readonly kind: "map"; entries: Map<string, [unknown, unknown]> }
  | { readonly kind: "set"; entries: Map<string, unknown> }
  | { readonly kind: "orderedList"; items: [number, unknown][] };

/** The cells of one namespace, by state name. */
export type Cells = Map<string, CellData>;

/** Makes the handle of cell `name` (declared by `spec`) over `cells`. */
export function cellHandle(cells: Cells, name: string, spec: StateSpec<unknown>): unknown {
  const get = <D extends CellData>() => cells.get(name) as D | undefined;
  const make = <D extends CellData>(fresh: () => D): D => {
    let d = cells.get(name) as D | undefined;
    if (!d) cells.set(name, (d = fresh()));
    return d;
  };
  const clear = () => void cells.delete(name);
  switch (spec.kind) {
    case "value": {
      const h: ValueState<unknown> = {
        read: () => get<Extract<CellData, { kind: "value" }>>()?.value,
        write: (value) => void cells.set(name, { kind: "value", value }),
        clear,
      };
      return h;
    }
    case "bag": {
      type D = Extract<CellData, { kind: "bag" }>;
      const h: BagState<unknown> = {
        add: (v) => void make<D>(() => ({ kind: "bag", items: [] })).items.push(v),
        read: () => [...(get<D>()?.items ?? [])],
        isEmpty: () => !get<D>(),
        clear,
      };
      return h;
    }
    case "combining": {
      type D = Extract<CellData, { kind: "combining" }>;
      const fn = spec.combineFn as CombineFn<unknown, unknown, unknown>;
      const cell = () => make<D>(() => ({ kind: "combining", acc: fn.createAccumulator() }));
      const h: CombiningState<unknown, unknown, unknown> = {
        add: (v) => {
          const d = cell();
          d.acc = fn.addInput(d.acc, v);
        },
        addAccumulator: (a) => {
          const d = cell();
          d.acc = fn.mergeAccumulators([d.acc, a]);
        },
        read: () => fn.extractOutput(get<D>()?.acc ?? fn.createAccumulator()),
        readAccumulator: () => get<D>()?.acc ?? fn.createAccumulator(),
        isEmpty: () => !get<D>(),
        clear,
      };
      return h;
    }
    case "map": {
      type D = Extract<CellData, { kind: "map" }>;
      const entries = () => get<D>()?.entries;
      const cell = () => make<D>(() => ({ kind: "map", entries: new Map() })).entries;
      const h: MapState<unknown, unknown> = {
        get: (k) => entries()?.get(valueKey(k))?.[1],
        put: (k, v) => void cell().set(valueKey(k), [k, v]),
        putIfAbsent: (k, v) => {
          const m = cell();
          const prev = m.get(valueKey(k));
          if (prev) return prev[1];
          m.set(valueKey(k), [k, v]);
          return undefined;
        },
        has: (k) => entries()?.has(valueKey(k)) ?? false,
        remove: (k) => {
          const m = entries();
          if (m && m.delete(valueKey(k)) && m.size === 0) clear();
        },
        keys: () => [...(entries()?.values() ?? [])].map((e) => e[0]),
        values: () => [...(entries()?.values() ?? [])].map((e) => e[1]),
        entries: () => [...(entries()?.values() ?? [])].map((e) => [e[0], e[1]] as [unknown, unknown]),
        isEmpty: () => !entries(),
        clear,
      };
      return h;
    }
    case "set": {
      type D = Extract<CellData, { kind: "set" }>;
      const entries = () => get<D>()?.entries;
      const addIfAbsent = (v: unknown) => {
        const m = make<D>(() => ({ kind: "set", entries: new Map() })).entries;
        const k = valueKey(v);
        if (m.has(k)) return false;
        m.set(k, v);
        return true;
      };
      const h: SetState<unknown> = {
        add: (v) => void addIfAbsent(v),
        addIfAbsent,
        has: (v) => entries()?.has(valueKey(v)) ?? false,
        remove: (v) => {
          const m = entries();
          if (m && m.delete(valueKey(v)) && m.size === 0) clear();
        },
        read: () => [...(entries()?.values() ?? [])],
        isEmpty: () => !entries(),
        clear,
      };
      return h;
    }
    case "orderedList": {
      type D = Extract<CellData, { kind: "orderedList" }>;
      const items = () => get<D>()?.items ?? [];
      const out = (xs: [number, unknown][]): TimestampedValue<unknown>[] => xs.map(([timestamp, value]) => ({ timestamp, value }));
      const h: OrderedListState<unknown> = {
        add: (ts, v) => {
          if (typeof ts !== "number" || Number.isNaN(ts)) throw new TypeError(`an ordered list needs a numeric timestamp (ms), got ${String(ts)}`);
          const xs = make<D>(() => ({ kind: "orderedList", items: [] })).items;
          xs.splice(firstAtOrAbove(xs, ts, true), 0, [ts, v]);
        },
        read: () => out(items()),
        readRange: (from, to) => {
          const xs = items();
          return out(xs.slice(firstAtOrAbove(xs, from), firstAtOrAbove(xs, to)));
        },
        clearRange: (from, to) => {
          const d = get<D>();
          if (!d) return;
          const lo = firstAtOrAbove(d.items, from);
          d.items.splice(lo, Math.max(0, firstAtOrAbove(d.items, to) - lo));
          if (d.items.length === 0) clear();
        },
        isEmpty: () => items().length === 0,
        clear,
      };
      return h;
    }
  }
}

/** Index of the first item with timestamp >= ts, or > ts when `after` (the insert point keeping ties in insertion order). */
function firstAtOrAbove(xs: [number, unknown][], ts: number, after = false): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid][0] < ts || (after && xs[mid][0] === ts)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
