/**
 * User state of a stateful DoFn through the Fn API's state channel. Every cell is one bag of Beam's
 * bag user state protocol (keyed by transform, cell name, window and key), read once per bundle into a
 * cache, changed in memory, and written back when the bundle ends: appends when the cell only grew,
 * else a clear and the cell's new contents. The bag is the cell's storage; the cells themselves, and
 * their rules, are runners/runtime/state (see runners/portable/translate-stateful.ts for the encodings).
 */
import type { StateSpecs } from "../../../sdk/state";
import { stateCells } from "../../runtime/state/cells";
import type { CellStorage } from "../../runtime/state/storage";
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

/** One bag's contents as read in this bundle, and how they changed: the storage of one state cell. */
export class CachedBag implements CellStorage {
  private items: unknown[] = [];
  private appended: unknown[] = [];
  private rewritten = false;

  constructor(
    readonly stateKey: Record<string, unknown>,
    /** The bag's key in a {@link BagCache}. */
    readonly cacheKey: string,
  ) {}

  /** Reads the bag: from the cache of earlier bundles when it holds it, else from the runner. */
  async load(access: StateAccess): Promise<void> {
    const cache = access.cache();
    const hit = cache?.get(this.cacheKey);
    if (hit) {
      this.items = decodeBagValues(hit);
      return;
    }
    const data = await access.channel().readAll(access.instructionId(), this.stateKey);
    this.items = decodeBagValues(data);
    cache?.set(this.cacheKey, data);
  }

  /** The current contents. */
  read(): readonly unknown[] {
    return this.items;
  }

  /** Adds a value at the end. */
  append(v: unknown): void {
    this.items.push(v);
    if (!this.rewritten) this.appended.push(v);
  }

  /** Replaces the contents. */
  replace(values: unknown[]): void {
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
      const cells = stateCells(this.specs, (name) => {
        const bag = new CachedBag(bagUserStateKey(this.transformId, name, window, key), `${this.transformId}\u0000${name}\u0000${id}`);
        bags.set(name, bag);
        return bag;
      });
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
