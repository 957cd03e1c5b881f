/**
 * Assertions on a view of a PCollection (Beam's `PAssert.thatSingleton`, `thatMap`, `thatMultimap`):
 * the selected rows — narrowed to a window and panes as with `assertThat` — must form one value (the
 * only row; a map of `{key, value}` rows with distinct keys; a map of each key to its values), and
 * the check is on that value.
 */
import { describeValue } from "../../sdk/errors";
import type { KV } from "../../sdk/kv";
import type { PCollection } from "../../sdk/pcollection";
import { valueKey } from "../../sdk/state";
import { AssertNarrowing } from "./assert";
import { addCheck, toWindow, verdictOf, type AssertWindow, type PaneSelection, type Selection } from "./assertion-checks";
import type { CollectedElement } from "./collect";

/** Builds the view's one value from the selected elements, or says why they do not form one. */
type View<T, V> = (selected: CollectedElement<T>[]) => { value: V } | { reason: string; unexpected: CollectedElement<T>[] };

/**
 * Assertions about the one value a view makes of a PCollection's selected rows. `isEqualTo`,
 * `notEqualTo` and `satisfies` each add one check and return the same narrowed assertion.
 */
export class SingletonAssert<T, V> extends AssertNarrowing<SingletonAssert<T, V>> {
  /** @internal Use {@link thatSingleton}, {@link thatMap} or {@link thatMultimap}. */
  constructor(
    private readonly pc: PCollection<T>,
    private readonly name: string | undefined,
    private readonly selection: Selection,
    private readonly viewName: string,
    private readonly view: View<T, V>,
  ) {
    super();
  }

  /** The value equals `expected` (maps compare by entries, in any order; a plain object stands for a map with string keys). */
  isEqualTo(expected: V | Record<string, unknown>): this {
    const want = valueKey(this.comparable(expected));
    return this.check(`isEqualTo(${describeValue(expected, 60)})`, (value) => (valueKey(this.comparable(value)) === want ? null : `it is ${describeValue(value, 200)}`));
  }

  /** The value differs from `unexpected`. */
  notEqualTo(unexpected: V | Record<string, unknown>): this {
    const other = valueKey(this.comparable(unexpected));
    return this.check(`notEqualTo(${describeValue(unexpected, 60)})`, (value) => (valueKey(this.comparable(value)) !== other ? null : "it is equal"));
  }

  /** `fn` accepts the value: it returns true or nothing to pass, and returns false or throws to fail. */
  satisfies(fn: (value: V) => boolean | void, description = fn.name || "predicate"): this {
    return this.check(`satisfies(${description})`, (value) => verdictOf(() => fn(value))?.reason ?? null);
  }

  protected narrow(window: AssertWindow | undefined, panes: PaneSelection): SingletonAssert<T, V> {
    return new SingletonAssert(this.pc, this.name, { window: toWindow(window), panes }, this.viewName, this.view);
  }

  /** A value to compare: for map views, a map (or a plain object standing for one) as its entries sorted by key, lists of values sorted. */
  private comparable(v: unknown): unknown {
    if (this.viewName === "thatSingleton") return v;
    const entries = v instanceof Map ? [...v.entries()] : typeof v === "object" && v !== null ? Object.entries(v) : null;
    if (!entries) return v;
    return entries.map(([k, x]) => [valueKey(k), Array.isArray(x) ? x.map(valueKey).sort() : x]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  private check(what: string, onValue: (value: V) => string | null): this {
    addCheck<T>(this.pc, this.name, this.selection, `${this.viewName}: ${what}`, (sel) => {
      const made = this.view(sel);
      if ("reason" in made) return { missing: [], unexpected: made.unexpected, reason: made.reason };
      const reason = onValue(made.value);
      return reason === null ? null : { missing: [], unexpected: sel, reason };
    });
    return this;
  }
}

/**
 * Asserts on the only row of `pc` (as narrowed): the selection must hold exactly one row.
 * @example thatSingleton(total).inOnTimePane(intervalWindow(0, 60_000)).isEqualTo(42);
 */
export function thatSingleton<T>(pc: PCollection<T>, name?: string): SingletonAssert<T, T> {
  return new SingletonAssert<T, T>(pc, name, { window: null, panes: "all" }, "thatSingleton", (sel) =>
    sel.length === 1 ? { value: sel[0].value } : { reason: `expected exactly one row, found ${sel.length}`, unexpected: sel },
  );
}

/**
 * Asserts on `pc`'s `{key, value}` rows (as narrowed) as a map: the keys must be distinct.
 * `isEqualTo` takes a Map, or a plain object for string keys.
 * @example thatMap(teamScores).inOnTimePane(window).isEqualTo({ red: 7, blue: 11 });
 */
export function thatMap<K, V>(pc: PCollection<KV<K, V>>, name?: string): SingletonAssert<KV<K, V>, Map<K, V>> {
  return new SingletonAssert<KV<K, V>, Map<K, V>>(pc, name, { window: null, panes: "all" }, "thatMap", (sel) => {
    const map = new Map<K, V>();
    const seen = new Map<string, CollectedElement<KV<K, V>>>();
    const duplicates: CollectedElement<KV<K, V>>[] = [];
    for (const e of sel) {
      const k = valueKey(e.value.key);
      if (seen.has(k)) duplicates.push(e);
      seen.set(k, e);
      map.set(e.value.key, e.value.value);
    }
    return duplicates.length === 0 ? { value: map } : { reason: "a map view needs distinct keys; these rows repeat a key", unexpected: duplicates };
  });
}

/**
 * Asserts on `pc`'s `{key, value}` rows (as narrowed) as a map of each key to its values (in any order).
 * @example thatMultimap(pairs).isEqualTo(new Map([["a", [1, 2]]]));
 */
export function thatMultimap<K, V>(pc: PCollection<KV<K, V>>, name?: string): SingletonAssert<KV<K, V>, Map<K, V[]>> {
  return new SingletonAssert<KV<K, V>, Map<K, V[]>>(pc, name, { window: null, panes: "all" }, "thatMultimap", (sel) => {
    const map = new Map<K, V[]>();
    const byKey = new Map<string, V[]>();
    for (const e of sel) {
      const k = valueKey(e.value.key);
      let vs = byKey.get(k);
      if (!vs) {
        byKey.set(k, (vs = []));
        map.set(e.value.key, vs);
      }
      vs.push(e.value.value);
    }
    return { value: map };
  });
}
