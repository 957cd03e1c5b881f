/**
 * The accumulators of a grouping operator's custom combiner, one per proto group: on the heap, or
 * (`--state-backend=disk`) in the operator's {@link DiskStore} behind a bounded cache of the groups
 * used last, written back when the cache fills, before a checkpoint reads them, and when the
 * operator's call ends.
 */
import type { DiskStore } from "./disk-store";

/** Accumulators by proto group. */
export interface Accumulators {
  /** One more than the largest group set. */
  readonly length: number;
  get(group: number): unknown;
  set(group: number, acc: unknown): void;
  /** Writes back what the cache holds (disk). */
  flush(): void;
}

/** Accumulators in an array. */
export class HeapAccumulators implements Accumulators {
  private readonly values: unknown[] = [];

  get length(): number {
    return this.values.length;
  }

  get(group: number): unknown {
    return this.values[group];
  }

  set(group: number, acc: unknown): void {
    this.values[group] = acc;
  }

  flush(): void {}
}

/** Accumulators in a {@link DiskStore}, under entry ids `<prefix><group>`. */
export class DiskAccumulators implements Accumulators {
  length = 0;
  private readonly cache = new Map<number, unknown>();
  private readonly dirty = new Set<number>();

  constructor(
    private readonly store: DiskStore,
    private readonly prefix: string,
    private readonly cacheLimit = 65_536,
  ) {}

  get(group: number): unknown {
    if (this.cache.has(group)) return this.cache.get(group);
    const acc = this.store.get(this.prefix + group);
    this.keep(group, acc);
    return acc;
  }

  set(group: number, acc: unknown): void {
    this.keep(group, acc);
    this.dirty.add(group);
    if (group >= this.length) this.length = group + 1;
  }

  flush(): void {
    if (this.dirty.size > 0) {
      this.store.batch(() => {
        for (const g of this.dirty) this.store.put(this.prefix + g, 0, this.cache.get(g));
      });
      this.dirty.clear();
    }
    this.cache.clear();
  }

  private keep(group: number, acc: unknown): void {
    if (this.cache.size >= this.cacheLimit && !this.cache.has(group)) this.flush();
    this.cache.set(group, acc);
  }
}
