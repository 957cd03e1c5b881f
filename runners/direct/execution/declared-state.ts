/**
 * The execution's side of declared state (see `contract/declared-state.ts`): the tables, item lists
 * and common values one operator declared, put into an operator snapshot at a barrier and taken back
 * out of one at a restore. In the snapshot, a keyed table's entries go by key group as
 * `[keyGroup, [table, key, value]]`, items as `[table, item]`, placed items as `[slot, [table, item]]`, common values as `{ [table]: value }`,
 * so a checkpoint restores at any parallelism through the usual resharding.
 */
import { keyGroupOf } from "../data/key-groups";
import type { CommonValue, ItemList, KeyedTable, OperatorState, PlacedList, StateCodec, StateKey } from "../contract/declared-state";
import type { OperatorSnapshot } from "../contract/operator";

/** Copies values with `structuredClone` both ways. */
const CLONE: StateCodec<never> = { encode: (v) => structuredClone(v), decode: (w) => structuredClone(w) as never };

type Declared =
  | { readonly kind: "keyed"; readonly table: KeyedTable<unknown>; readonly codec: StateCodec<unknown> }
  | { readonly kind: "items"; readonly list: ItemList<unknown>; readonly codec: StateCodec<unknown> }
  | { readonly kind: "placed"; readonly list: PlacedList<unknown>; readonly codec: StateCodec<unknown> }
  | { readonly kind: "common"; readonly cell: CommonValue<unknown>; readonly codec: StateCodec<unknown> };

/** The state one operator declared. */
export class DeclaredState implements OperatorState {
  private readonly declared = new Map<string, Declared>();
  private sealed = false;
  private wasRestored = false;

  /** @param owner the transform, for messages. */
  constructor(private readonly owner: string) {}

  get restored(): boolean {
    return this.wasRestored;
  }

  /** Whether anything was declared. */
  get isEmpty(): boolean {
    return this.declared.size === 0;
  }

  keyed<V>(name: string, codec?: StateCodec<V>): KeyedTable<V> {
    const table: KeyedTable<V> = new Map<StateKey, V>();
    this.declare(name, { kind: "keyed", table: table as KeyedTable<unknown>, codec: (codec ?? CLONE) as StateCodec<unknown> });
    return table;
  }

  items<T>(name: string, codec?: StateCodec<T>): ItemList<T> {
    const list: ItemList<T> = { values: [] };
    this.declare(name, { kind: "items", list: list as ItemList<unknown>, codec: (codec ?? CLONE) as StateCodec<unknown> });
    return list;
  }

  placed<T>(name: string, slotOf: (item: T) => number, codec?: StateCodec<T>): PlacedList<T> {
    const list: PlacedList<T> = { values: [], slotOf };
    this.declare(name, { kind: "placed", list: list as PlacedList<unknown>, codec: (codec ?? CLONE) as StateCodec<unknown> });
    return list;
  }

  common<T>(name: string, initial: T, codec?: StateCodec<T>): CommonValue<T> {
    const cell: CommonValue<T> = { value: initial };
    this.declare(name, { kind: "common", cell: cell as CommonValue<unknown>, codec: (codec ?? CLONE) as StateCodec<unknown> });
    return cell;
  }

  /** No more declarations: the operator was made. */
  seal(): void {
    this.sealed = true;
  }

  /** The declared state as an operator snapshot (copies: the operator goes on changing it). */
  snapshot(): OperatorSnapshot {
    const keyed: [number, [string, StateKey, unknown]][] = [];
    const items: [string, unknown][] = [];
    const placed: [number, [string, unknown]][] = [];
    const common: Record<string, unknown> = {};
    let hasCommon = false;
    for (const [name, d] of this.declared) {
      if (d.kind === "keyed") for (const [k, v] of d.table) keyed.push([keyGroupOf(k), [name, k, d.codec.encode(v)]]);
      else if (d.kind === "items") for (const item of d.list.values) items.push([name, d.codec.encode(item)]);
      else if (d.kind === "placed") for (const item of d.list.values) placed.push([d.list.slotOf(item), [name, d.codec.encode(item)]]);
      else {
        common[name] = d.codec.encode(d.cell.value);
        hasCommon = true;
      }
    }
    return { keyed, items, ...(placed.length > 0 ? { placed } : {}), ...(hasCommon ? { common } : {}) };
  }

  /** Takes up this instance's share of a checkpoint's declared state (already resharded). */
  restore(state: OperatorSnapshot): void {
    for (const d of this.declared.values()) {
      if (d.kind === "keyed") d.table.clear();
      else if (d.kind === "items" || d.kind === "placed") d.list.values = [];
    }
    for (const [, [name, key, wire]] of (state.keyed ?? []) as [number, [string, StateKey, unknown]][]) {
      const d = this.find(name, "keyed");
      d.table.set(key, d.codec.decode(wire));
    }
    for (const [name, wire] of (state.items ?? []) as [string, unknown][]) {
      const d = this.find(name, "items");
      d.list.values.push(d.codec.decode(wire));
    }
    for (const [, [name, wire]] of (state.placed ?? []) as [number, [string, unknown]][]) {
      const d = this.find(name, "placed");
      d.list.values.push(d.codec.decode(wire));
    }
    for (const [name, wire] of Object.entries((state.common ?? {}) as Record<string, unknown>)) {
      const d = this.find(name, "common");
      d.cell.value = d.codec.decode(wire);
    }
    this.wasRestored = true;
  }

  private declare(name: string, d: Declared): void {
    if (this.sealed) throw new Error(`internal: ${this.owner} declared state ${name} after it was made`);
    if (this.declared.has(name)) throw new Error(`internal: ${this.owner} declared state ${name} twice`);
    this.declared.set(name, d);
  }

  private find<K extends Declared["kind"]>(name: string, kind: K): Extract<Declared, { kind: K }> {
    const d = this.declared.get(name);
    if (!d || d.kind !== kind) throw new Error(`internal: a checkpoint of ${this.owner} holds ${kind} state ${name} that the operator does not declare`);
    return d as Extract<Declared, { kind: K }>;
  }
}
