/** A binary min-heap of numbers with payloads, ordered by (priority, insertion sequence). */

interface Entry<T> {
  readonly priority: number;
  readonly seq: number;
  readonly item: T;
}

/** A min-heap; equal priorities come out in insertion order. Stale entries are skipped by the caller. */
export class MinHeap<T> {
  private readonly entries: Entry<T>[] = [];
  private seq = 0;

  /** How many entries it holds (stale ones included). */
  get size(): number {
    return this.entries.length;
  }

  /** Adds an item. */
  push(priority: number, item: T): void {
    const e = { priority, seq: this.seq++, item };
    const a = this.entries;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  /** The smallest entry, or undefined. */
  peek(): { priority: number; item: T } | undefined {
    return this.entries[0];
  }

  /** Removes and returns the smallest entry. */
  pop(): { priority: number; item: T } | undefined {
    const a = this.entries;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  /** Removes everything. */
  clear(): void {
    this.entries.length = 0;
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}
