/**
 * A stateful ParDo's state table on disk (`--state-backend=disk`): each namespace (one key in one
 * window) is one entry of the operator's {@link DiskStore}, `n<wid>\0<keyId>`, holding its cells. The
 * namespaces last used stay open in memory, at most `openLimit` of them (a bounded write cache), and
 * those a cell changed are written back when the table is flushed: before another namespace opens
 * once the limit is reached, before a window's namespaces are listed, and at a checkpoint. The API
 * is {@link StateTable}'s.
 */
import type { StateCells, StateSpecs } from "../../../sdk/state";
import type { Window } from "../../../sdk/window";
import { stateCells } from "../../runtime/state/cells";
import type { CellStorage } from "../../runtime/state/storage";
import { keyGroupOf } from "../data/key-groups";
import { cellStorage } from "./cell-storage";
import type { DiskStore } from "./disk-store";
import { windowId, type Namespace, type StateTableSnapshot } from "./table";

/** A namespace as stored: its entry id and its cells. */
export interface StoredNamespace {
  readonly id: string;
  readonly key: unknown;
  readonly keyId: string;
  readonly window: Window;
  readonly cells: [string, unknown[]][];
}

/** The entry id of a namespace. */
export function namespaceId(wid: string, keyId: string): string {
  return `n${wid}\u0000${keyId}`;
}

/** Namespaces read from disk per step while a window's namespaces are listed. */
const LIST_CHUNK = 512;

/** The state cells of every key and window of one operator, in a {@link DiskStore}. */
export class DiskStateTable {
  private readonly open = new Map<string, Namespace>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly specs: StateSpecs,
    private readonly store: DiskStore,
    private readonly openLimit = 4096,
  ) {}

  /** The namespace of `key` in `window`, read from disk or created when absent. */
  namespace(key: unknown, keyId: string, window: Window): Namespace {
    const id = namespaceId(windowId(window), keyId);
    const ns = this.open.get(id);
    return ns ?? this.load(id, this.store.get(id) as StoredNamespace | undefined, key, keyId, window);
  }

  /** The handles of the declared cells of a namespace; a change to a cell marks the namespace to be written. */
  cells(ns: Namespace): StateCells<StateSpecs> {
    let h = ns.handles;
    if (!h) {
      const id = namespaceId(windowId(ns.window), ns.keyId);
      const changed = (s: CellStorage): CellStorage => ({
        read: () => s.read(),
        append: (v) => {
          this.dirty.add(id);
          s.append(v);
        },
        replace: (vs) => {
          this.dirty.add(id);
          s.replace(vs);
        },
      });
      h = ns.handles = stateCells(this.specs, (name) => changed(cellStorage(ns.cells, name))) as StateCells<StateSpecs>;
    }
    return h;
  }

  /** The namespaces of a window, read from disk a chunk at a time (each may be dropped while listed). */
  *namespacesOf(wid: string): Generator<Namespace> {
    this.flush();
    const prefix = namespaceId(wid, "");
    let after: string | undefined;
    for (;;) {
      const chunk = this.store.range(prefix, LIST_CHUNK, after) as StoredNamespace[];
      for (const s of chunk) yield this.open.get(s.id) ?? this.load(s.id, s, s.key, s.keyId, s.window);
      if (chunk.length < LIST_CHUNK) return;
      after = chunk[chunk.length - 1].id;
      this.flush();
    }
  }

  /** Drops the state of one key in one window. */
  drop(wid: string, keyId: string): void {
    const id = namespaceId(wid, keyId);
    this.open.delete(id);
    this.dirty.delete(id);
    this.store.remove(id, keyGroupOf(keyId));
  }

  /** How many namespaces are stored (empty ones included). */
  get size(): number {
    this.flush();
    return this.store.count("n");
  }

  /** Writes the changed namespaces and closes every open one. */
  flush(): void {
    if (this.dirty.size > 0) {
      this.store.batch(() => {
        for (const id of this.dirty) {
          const ns = this.open.get(id);
          if (ns) this.store.put(id, keyGroupOf(ns.keyId), { id, key: ns.key, keyId: ns.keyId, window: ns.window, cells: [...ns.cells] } satisfies StoredNamespace);
        }
      });
      this.dirty.clear();
    }
    this.open.clear();
  }

  /** Adds the namespaces of a snapshot (to an empty table). */
  restore(snapshot: StateTableSnapshot): void {
    this.store.batch(() => {
      for (const s of snapshot.namespaces) {
        const id = namespaceId(windowId(s.window), s.keyId);
        this.store.put(id, keyGroupOf(s.keyId), { id, key: s.key, keyId: s.keyId, window: s.window, cells: s.cells } satisfies StoredNamespace);
      }
    });
  }

  /** Sets (or removes, `value` undefined) namespace entry `id` as a checkpoint's state file has it (a restore replaying the chain). */
  apply(id: string, keyGroup: number, value: StoredNamespace | undefined): void {
    this.open.delete(id);
    this.dirty.delete(id);
    if (value === undefined) this.store.remove(id, keyGroup);
    else this.store.put(id, keyGroup, value);
  }

  private load(id: string, stored: StoredNamespace | undefined, key: unknown, keyId: string, window: Window): Namespace {
    if (this.open.size >= this.openLimit) this.flush();
    const ns: Namespace = { key: stored?.key ?? key, keyId, window: stored?.window ?? window, cells: new Map(stored?.cells ?? []) };
    this.open.set(id, ns);
    // A new namespace is stored even while empty, as the memory table keeps it (window expiry visits it).
    if (!stored) this.dirty.add(id);
    return ns;
  }
}
