/**
 * User state of a stateful DoFn through the Fn API's state channel. Every cell is one bag of Beam's
 * bag user state protocol (keyed by transform, cell name, window and key), read once per bundle into a
 * cache, changed in memory, and written back when the bundle ends: appends when the cell only grew,
 * else a clear and the cell's new contents. Each cell kind is a view over its bag (see
 * runners/portable/translate-stateful.ts for the encodings).
 */
import type { CombineFn } from "../../../sdk/combine";
import {
  BagState,
  CombiningState,
  MapState,
  OrderedListState,
  SetState,
  StateSpec,
  StateSpecs,
  TimestampedValue,
  ValueState,
  valueKey,
} from "../../../sdk/state";
import { valueCoder } from "../coders/coders";
import { ByteReader, ByteWriter } from "../coders/wire";
import type { StateChannel } from "./channels";
import { InvariantError } from "../model/errors";

/** What a bag needs to reach the runner's state. */
export interface StateAccess {
  channel(): StateChannel;
  /** The instruction (bundle) the requests belong to. */
  instructionId(): string;
  /** Bags kept from earlier bundles under the runner's cache token of this bundle, if it gave one. */
  cache(): BagCache | null;
}

/** Encoded bag contents by state key, valid under one cache token. */
export type BagCache = Map<string, Buffer>;

/**
 * User state kept across bundles (Beam's cache token protocol): while the runner sends the same user
 * state cache token with a bundle, the bags this harness read or wrote under it are still current and
 * need no new read. Contents are kept encoded, so user code never shares objects with the cache.
 */
export class CrossBundleStateCache {
  private readonly byToken = new Map<string, BagCache>();

  constructor(
    /** Bags kept per token (the least recently used go first). */
    private readonly capacity = 50_000,
    /** Tokens kept (one per stage instance of the runner, typically). */
    private readonly tokens = 16,
  ) {}

  /** The bags of a token; null without a token. */
  forToken(token: Uint8Array | null | undefined): BagCache | null {
    if (!token || token.length === 0) return null;
    const k = Buffer.from(token).toString("base64");
    let c = this.byToken.get(k);
    if (c) {
      this.byToken.delete(k);
    } else {
      c = new BoundedBagCache(this.capacity);
      if (this.byToken.size >= this.tokens) this.byToken.delete(this.byToken.keys().next().value!);
    }
    this.byToken.set(k, c);
    return c;
  }

  /** Forgets everything (after a failed bundle, whose writes the runner may have dropped). */
  clear(): void {
    this.byToken.clear();
  }
}

/** A Map that keeps its most recently used `capacity` entries. */
class BoundedBagCache extends Map<string, Buffer> {
  constructor(private readonly capacity: number) {
    super();
  }

  override get(key: string): Buffer | undefined {
    const v = super.get(key);
    if (v !== undefined) {
      super.delete(key);
      super.set(key, v);
    }
    return v;
  }

  override set(key: string, value: Buffer): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.capacity) super.delete(this.keys().next().value!);
    return this;
  }
}

/** A `BagUserState` state key. */
export function bagUserStateKey(transformId: string, userStateId: string, window: Buffer, key: Buffer): Record<string, unknown> {
  return { bagUserState: { transformId, userStateId, window, key } };
}

/** Encodes values as a bag's data (Beamline's value coder, self-delimiting). */
export function encodeBagValues(values: readonly unknown[]): Buffer {
  const w = new ByteWriter();
  for (const v of values) valueCoder.encode(v, w, true);
  return w.finish();
}

/** Decodes a bag's data. */
export function decodeBagValues(data: Buffer): unknown[] {
  const r = new ByteReader(data);
  const out: unknown[] = [];
  while (!r.done) out.push(valueCoder.decode(r, true));
  return out;
}

/** One bag's contents as read in this bundle, and how they changed. */
export class CachedBag {
  private items: unknown[] = [];
  private appended: unknown[] = [];
  private rewritten = false;
  /** Views derived from the contents (a map's entries, a set's members, a sorted list), kept while valid. */
  private views = new Map<string, { value: unknown; extend?: (view: never, v: unknown) => void }>();

  constructor(
    readonly stateKey: Record<string, unknown>,
    /** The bag's key in a {@link BagCache}. */
    readonly cacheKey: string,
  ) {}

  /** Reads the bag: from the cache of earlier bundles when it holds it, else from the runner. */
  async load(access: StateAccess): Promise<void> {
    const cache = access.cache();
    const hit = cache?.get(this.cacheKey);
    this.views.clear();
    if (hit) {
      this.items = decodeBagValues(hit);
      return;
    }
    const data = await access.channel().readAll(access.instructionId(), this.stateKey);
    this.items = decodeBagValues(data);
    cache?.set(this.cacheKey, data);
  }

  /** The current contents. */
  values(): readonly unknown[] {
    return this.items;
  }

  /**
   * A view of the contents made by `make` (`name` tells a cell's views apart), kept until the contents
   * are replaced; `extend` brings it up to date with an appended value (without it, an append drops
   * the view). The caller must not modify it.
   */
  view<T>(name: string, make: (items: readonly unknown[]) => T, extend?: (view: T, v: unknown) => void): T {
    let v = this.views.get(name);
    if (!v) this.views.set(name, (v = { value: make(this.items), extend: extend as ((view: never, v: unknown) => void) | undefined }));
    return v.value as T;
  }

  /** Adds a value at the end. */
  append(v: unknown): void {
    for (const [name, view] of this.views) {
      if (view.extend) view.extend(view.value as never, v);
      else this.views.delete(name);
    }
    this.items.push(v);
    if (!this.rewritten) this.appended.push(v);
  }

  /** Replaces the contents. */
  replace(values: unknown[]): void {
    this.views.clear();
    this.items = values;
    this.rewritten = true;
    this.appended = [];
  }

  /** Whether the bag changed since it was read. */
  get dirty(): boolean {
    return this.rewritten || this.appended.length > 0;
  }

  /** Writes the changes back: a clear and the contents when replaced, else the appended values. */
  async flush(access: StateAccess): Promise<void> {
    const instructionId = access.instructionId();
    if (this.rewritten) await access.channel().request({ instructionId, stateKey: this.stateKey, clear: {} });
    const toAppend = this.rewritten ? this.items : this.appended;
    if (toAppend.length > 0) await access.channel().request({ instructionId, stateKey: this.stateKey, append: { data: encodeBagValues(toAppend) } });
    this.rewritten = false;
    this.appended = [];
    access.cache()?.set(this.cacheKey, encodeBagValues(this.items));
  }
}

/** A state cell handle over its bag. */
export function cellOver(spec: StateSpec<unknown>, bag: CachedBag): unknown {
  switch (spec.kind) {
    case "value":
      return valueCell(bag);
    case "bag":
      return bagCell(bag);
    case "combining":
      return combiningCell(bag, spec.combineFn!);
    case "map":
      return mapCell(bag);
    case "set":
      return setCell(bag);
    case "orderedList":
      return orderedListCell(bag);
  }
}

function valueCell<T>(bag: CachedBag): ValueState<T> {
  return {
    read: () => bag.values()[0] as T | undefined,
    write: (v) => bag.replace([v]),
    clear: () => bag.replace([]),
  };
}

function bagCell<T>(bag: CachedBag): BagState<T> {
  return {
    add: (v) => bag.append(v),
    read: () => [...bag.values()] as T[],
    isEmpty: () => bag.values().length === 0,
    clear: () => bag.replace([]),
  };
}

function combiningCell<I, A, O>(bag: CachedBag, fn: CombineFn<I, A, O>): CombiningState<I, A, O> {
  const accumulator = (): A => {
    const accs = bag.values() as A[];
    if (accs.length === 0) return fn.createAccumulator();
    return accs.length === 1 ? accs[0] : fn.mergeAccumulators(accs);
  };
  return {
    add: (input) => bag.replace([fn.addInput(accumulator(), input)]),
    addAccumulator: (acc) => bag.append(acc),
    read: () => fn.extractOutput(accumulator()),
    readAccumulator: accumulator,
    isEmpty: () => bag.values().length === 0,
    clear: () => bag.replace([]),
  };
}

/** Entries `[key, value]` of a map bag, the last write of a key winning (keys keep their first position). */
function mapEntries<K, V>(bag: CachedBag): Map<string, [K, V]> {
  const put = (m: Map<string, [K, V]>, e: unknown) => void m.set(valueKey((e as [K, V])[0]), e as [K, V]);
  return bag.view(
    "map",
    (items) => {
      const m = new Map<string, [K, V]>();
      for (const e of items) put(m, e);
      return m;
    },
    put,
  );
}

function mapCell<K, V>(bag: CachedBag): MapState<K, V> {
  const entries = () => [...mapEntries<K, V>(bag).values()];
  const cell: MapState<K, V> = {
    get: (k) => mapEntries<K, V>(bag).get(valueKey(k))?.[1],
    put: (k, v) => bag.append([k, v]),
    putIfAbsent(k, v) {
      const hit = mapEntries<K, V>(bag).get(valueKey(k));
      if (hit) return hit[1];
      bag.append([k, v]);
      return undefined;
    },
    has: (k) => mapEntries<K, V>(bag).has(valueKey(k)),
    remove: (k) => bag.replace(entries().filter((e) => valueKey(e[0]) !== valueKey(k))),
    keys: () => entries().map((e) => e[0]),
    values: () => entries().map((e) => e[1]),
    entries,
    isEmpty: () => mapEntries(bag).size === 0,
    clear: () => bag.replace([]),
  };
  return cell;
}

function setCell<T>(bag: CachedBag): SetState<T> {
  const enter = (m: Map<string, T>, v: unknown) => {
    const k = valueKey(v);
    if (!m.has(k)) m.set(k, v as T);
  };
  const members = () =>
    bag.view(
      "set",
      (items) => {
        const m = new Map<string, T>();
        for (const v of items) enter(m, v);
        return m;
      },
      enter,
    );
  return {
    add: (v) => void (members().has(valueKey(v)) || bag.append(v)),
    addIfAbsent(v) {
      if (members().has(valueKey(v))) return false;
      bag.append(v);
      return true;
    },
    has: (v) => members().has(valueKey(v)),
    remove: (v) => bag.replace([...members().values()].filter((x) => valueKey(x) !== valueKey(v))),
    read: () => [...members().values()],
    isEmpty: () => bag.values().length === 0,
    clear: () => bag.replace([]),
  };
}

function orderedListCell<T>(bag: CachedBag): OrderedListState<T> {
  // A stable sort keeps ties in insertion order.
  const sorted = () => bag.view("sorted", (items) => [...(items as TimestampedValue<T>[])].sort((a, b) => a.timestamp - b.timestamp));
  return {
    add: (timestamp, value) => bag.append({ timestamp, value }),
    read: () => [...sorted()],
    readRange: (from, to) => sorted().filter((e) => e.timestamp >= from && e.timestamp < to),
    clearRange: (from, to) => bag.replace(sorted().filter((e) => e.timestamp < from || e.timestamp >= to)),
    isEmpty: () => bag.values().length === 0,
    clear: () => bag.replace([]),
  };
}

/** The state of one stateful transform in one bundle: cells per key and window, loaded on first use. */
export class UserStateCache {
  private readonly bags = new Map<string, { bags: Map<string, CachedBag>; cells: Record<string, unknown>; loaded: Promise<void> | null }>();

  constructor(
    private readonly transformId: string,
    private readonly specs: StateSpecs,
    private readonly access: StateAccess,
  ) {}

  /** Makes sure the cells of (key, window) are read; `id` identifies the pair. */
  load(id: string, window: Buffer, key: Buffer): Promise<void> {
    let e = this.bags.get(id);
    if (!e) {
      const bags = new Map<string, CachedBag>();
      const cells: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(this.specs)) {
        const bag = new CachedBag(bagUserStateKey(this.transformId, name, window, key), `${this.transformId}\u0000${name}\u0000${id}`);
        bags.set(name, bag);
        cells[name] = cellOver(spec, bag);
      }
      e = { bags, cells, loaded: null };
      this.bags.set(id, e);
    }
    const entry = e;
    entry.loaded ??= Promise.all([...entry.bags.values()].map((b) => b.load(this.access))).then(() => {});
    return entry.loaded;
  }

  /** The cell handles of a loaded (key, window). */
  cells(id: string): Record<string, unknown> {
    const e = this.bags.get(id);
    if (!e) throw new InvariantError({ code: "BL_STATE_NOT_LOADED", value: id, rule: "the state of a key and window is loaded before its cells are used" });
    return e.cells;
  }

  /** Writes every changed cell back and forgets the bundle's cache. */
  async flush(): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const e of this.bags.values()) for (const b of e.bags.values()) if (b.dirty) writes.push(b.flush(this.access));
    await Promise.all(writes);
    this.bags.clear();
  }
}
