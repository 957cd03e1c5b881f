/**
 * What a runner provides for state: the stored contents of one cell as a list of values, which the
 * cells (./cells.ts) read, append to and replace. The direct runner keeps the list in its in-memory
 * keyed tables; the portable harness keeps it as a bag of Beam's bag user state, read through the Fn
 * API's state channel and written back when the bundle ends (appends when the cell only grew).
 */

/** The stored contents of one state cell (one key, one window, one declared cell). */
export interface CellStorage {
  /** The contents, oldest first; the caller does not modify the array. */
  read(): readonly unknown[];
  /** Adds a value at the end. */
  append(value: unknown): void;
  /** Replaces the contents (the runtime hands over an array it keeps no reference to); `[]` empties the cell. */
  replace(values: unknown[]): void;
}

/** A view derived from a cell's contents, and how to bring it up to date with an appended value. */
interface View {
  readonly value: unknown;
  readonly extend?: (view: never, appended: unknown) => void;
}

/**
 * A cell's storage with views derived from its contents (a map's entries by key, a set's members, a
 * sorted list) kept while they are valid: an append extends them (or drops those that cannot be
 * extended), a replace drops them all. Every change to the cell goes through it.
 */
export class CellContents {
  /** Made with the first view: most cells (values, bags) never have one. */
  private views: Map<string, View> | null = null;

  constructor(private readonly storage: CellStorage) {}

  /** The contents, oldest first; not to be modified. */
  read(): readonly unknown[] {
    return this.storage.read();
  }

  /** Whether the cell holds nothing. */
  get empty(): boolean {
    return this.storage.read().length === 0;
  }

  /** Adds a value at the end, extending the views. */
  append(value: unknown): void {
    if (this.views) {
      for (const [name, view] of this.views) {
        if (view.extend) view.extend(view.value as never, value);
        else this.views.delete(name);
      }
    }
    this.storage.append(value);
  }

  /** Replaces the contents, dropping the views. */
  replace(values: unknown[]): void {
    this.views?.clear();
    this.storage.replace(values);
  }

  /**
   * The view `name` of the contents, made by `make` and kept until the contents are replaced; `extend`
   * brings it up to date with an appended value (without it, an append drops the view). Not to be
   * modified by the caller.
   */
  view<T>(name: string, make: (items: readonly unknown[]) => T, extend?: (view: T, appended: unknown) => void): T {
    this.views ??= new Map();
    let v = this.views.get(name);
    if (!v) this.views.set(name, (v = { value: make(this.storage.read()), extend: extend as View["extend"] }));
    return v.value as T;
  }
}
