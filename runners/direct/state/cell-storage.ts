/**
 * The direct runner's storage of state cells: each cell of a namespace (one key in one window) is a
 * plain array of values in the namespace's map, absent when empty, so a table can be snapshotted with
 * a structured clone. The cells themselves, and their rules, are runners/runtime/state.
 */
import type { CellStorage } from "../../runtime/state/storage";

/** The stored cells of one namespace, by state name. */
export type Cells = Map<string, unknown[]>;

const EMPTY: readonly unknown[] = [];

/** The storage of cell `name` in `cells`. */
export function cellStorage(cells: Cells, name: string): CellStorage {
  return {
    read: () => cells.get(name) ?? EMPTY,
    append(value) {
      const items = cells.get(name);
      if (items) items.push(value);
      else cells.set(name, [value]);
    },
    replace(values) {
      if (values.length === 0) cells.delete(name);
      else cells.set(name, values);
    },
  };
}
