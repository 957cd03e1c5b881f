/**
 * The state table of a stateful ParDo: the cells of every namespace (one key in one window), indexed
 * by window so that a window's state can be dropped when it expires. Plain data throughout, with
 * `snapshot()` and `restore()` for checkpoints.
 */
import type { StateCells, StateSpecs } from "../../../sdk/state";
import type { Window } from "../../../sdk/window";
import { stateCells } from "../../runtime/state/cells";
import { cellStorage, type Cells } from "./cell-storage";

/** The state of one key in one window. */
export interface Namespace {
  /** The user's key. */
  readonly key: unknown;
  /** The key's canonical string (see `valueKey`). */
  readonly keyId: string;
  readonly window: Window;
  readonly cells: Cells;
  /** The handles of its cells, made once (see {@link StateTable.cells}). */
  handles?: StateCells<StateSpecs>;
  /** What the operator keeps per namespace (its view for the runtime), dropped with the namespace. */
  scope?: unknown;
}

/** A state table as plain, structured-cloneable data. */
export interface StateTableSnapshot {
  readonly namespaces: { key: unknown; keyId: string; window: Window; cells: [string, unknown[]][] }[];
}

/** A window's identity as a string. */
export function windowId(w: Window): string {
  return `${w.start}:${w.end}`;
}

/** The state cells of every key and window of one operator. */
export class StateTable {
  private readonly windows = new Map<string, Map<string, Namespace>>();

  constructor(private readonly specs: StateSpecs) {}

  /** The namespace of `key` in `window`, created when absent. */
  namespace(key: unknown, keyId: string, window: Window): Namespace {
    const wid = windowId(window);
    let byKey = this.windows.get(wid);
    if (!byKey) this.windows.set(wid, (byKey = new Map()));
    let ns = byKey.get(keyId);
    if (!ns) byKey.set(keyId, (ns = { key, keyId, window, cells: new Map() }));
    return ns;
  }

  /** The handles of the declared cells of a namespace. */
  cells(ns: Namespace): StateCells<StateSpecs> {
    return (ns.handles ??= stateCells(this.specs, (name) => cellStorage(ns.cells, name)) as StateCells<StateSpecs>);
  }

  /** The namespaces of a window. */
  namespacesOf(wid: string): Namespace[] {
    return [...(this.windows.get(wid)?.values() ?? [])];
  }

  /** Drops the state of one key in one window. */
  drop(wid: string, keyId: string): void {
    const byKey = this.windows.get(wid);
    if (!byKey) return;
    byKey.delete(keyId);
    if (byKey.size === 0) this.windows.delete(wid);
  }

  /** How many namespaces hold at least one non-empty cell. */
  get size(): number {
    let n = 0;
    for (const byKey of this.windows.values()) for (const ns of byKey.values()) if (ns.cells.size > 0) n++;
    return n;
  }

  /** A deep copy of every non-empty namespace. */
  snapshot(): StateTableSnapshot {
    const namespaces: StateTableSnapshot["namespaces"] = [];
    for (const byKey of this.windows.values()) {
      for (const ns of byKey.values()) {
        if (ns.cells.size > 0) namespaces.push({ key: ns.key, keyId: ns.keyId, window: ns.window, cells: [...ns.cells.entries()] });
      }
    }
    return structuredClone({ namespaces });
  }

  /** Replaces the contents with a snapshot. */
  restore(snapshot: StateTableSnapshot): void {
    this.windows.clear();
    for (const s of structuredClone(snapshot).namespaces) {
      const ns = this.namespace(s.key, s.keyId, s.window);
      for (const [name, cell] of s.cells) ns.cells.set(name, cell);
    }
  }
}
