/** The agenda of a pane engine: the groups due at each time (end of window, garbage collection), earliest first. */

/** A min-heap of times with the groups due at each. */
export class Agenda {
  private readonly heap: number[] = [];
  private readonly due = new Map<number, number[]>();
  // The list of the time last added to (groups of one window arrive together).
  private lastTime = NaN;
  private lastList: number[] | null = null;
  /** Makes `group` due at `time`. */
  add(time: number, group: number): void {
    if (time === this.lastTime) {
      this.lastList!.push(group);
      return;
    }
    const list = this.due.get(time);
    this.lastTime = time;
    if (list) {
      this.lastList = list;
      list.push(group);
      return;
    }
    this.due.set(time, (this.lastList = [group]));
    const h = this.heap;
    h.push(time);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  /** Removes and returns the groups due strictly before `limit`, earliest first. */
  takeBefore(limit: number): number[] {
    const out: number[] = [];
    const h = this.heap;
    while (h.length > 0 && h[0] < limit) {
      const t = h[0];
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && h[l] < h[m]) m = l;
          if (r < h.length && h[r] < h[m]) m = r;
          if (m === i) break;
          [h[m], h[i]] = [h[i], h[m]];
          i = m;
        }
      }
      for (const g of this.due.get(t)!) out.push(g);
      this.due.delete(t);
      if (t === this.lastTime) {
        this.lastTime = NaN;
        this.lastList = null;
      }
    }
    return out;
  }
}
