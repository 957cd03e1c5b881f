/**
 * The direct runner's storage of state cells: each cell of a namespace (one key in one window) is a
 * plain array of values in the namespace's map, absent when empty, so a table can be snapshotted with
 * a structured clone. The cells themselves, and their rules, are runners/runtime/state.
 */
import type { CellStorage } from "../../runtime/state/storage";

/** The stored cells of one namespace, by state name. */
export type Cells = Map<string, unknown[]>;

const EMPTY: readonly unknown[] = [];

/** The storage of cell `name` in `cells` (a class: one is made per cell of every key and window). */
class MapCellStorage implements CellStorage {
  constructor(
    private readonly cells: Cells,
    private readonly name: string,
  ) {}
  read(): readonly unknown[] {
    return this.cells.get(this.name) ?? EMPTY;
  }
  append(value: unknown): void {
    const items = this.cells.get(this.name);
    if (items) items.push(value);
    else this.cells.set(this.name, [value]);
  }
  replace(values: unknown[]): void {
    if (values.length === 0) this.cells.delete(this.name);
    else this.cells.set(this.name, values);
  }
}

/** The storage of cell `name` in `cells`. */
export function cellStorage(cells: Cells, name: string): CellStorage {
  return new MapCellStorage(cells, name);
}
