/**
 * Groups by key and window, the state behind GroupByKey and Combine. Non-merging windows group by
 * (key, window) directly; merging windows (sessions) group by (key, proto-window) and merge
 * overlapping windows of one key when the groups are read.
 */
import type { ElementBatch } from "../../../sdk/batch";
import type { WindowingStrategy } from "../../../sdk/window";
import { isMerging } from "../../../sdk/window";
import type { KeyPrimitive } from "../keys";

/** A growable float64 column. */
export class F64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

/** One output group after merging: the proto-groups it holds and its window. */
export interface FinalGroup {
  readonly members: number[];
  readonly start: number;
  readonly end: number;
  /** The proto-group whose key represents the group. */
  readonly rep: number;
}

/** Maps (key, window) to dense group ids. */
export class WindowedGroups {
  /** Groups of the global window by key. */
  private readonly byKey = new Map<KeyPrimitive, number>();
  /** Groups of interval windows: window start → window end → key → group. */
  private readonly byWindow = new Map<number, Map<number, Map<KeyPrimitive, number>>>();
  /** Window start per group. */
  readonly start = new F64();
  /** Window end per group. */
  readonly end = new F64();
  /** The key of each group. */
  readonly keys: KeyPrimitive[] = [];
  private readonly merging: boolean;
  /** Whether windows are intervals (not the global window). */
  intervals = false;

  constructor(strategy: WindowingStrategy) {
    this.merging = isMerging(strategy.windowFn);
  }

  /** Number of groups. */
  get size(): number {
    return this.keys.length;
  }

  /** Group ids for the rows of a batch with the given keys; `onNew(group, row)` is called for new groups. */
  assign(batch: ElementBatch, keys: readonly KeyPrimitive[], onNew: (group: number, row: number) => void): Int32Array {
    const n = keys.length;
    const ids = new Int32Array(n);
    const map = this.byKey;
    if (batch.windows.kind === "global") {
      for (let i = 0; i < n; i++) {
        const k = keys[i];
        let g = map.get(k);
        if (g === undefined) {
          g = this.keys.length;
          map.set(k, g);
          this.keys.push(k);
          this.start.push(-Infinity);
          this.end.push(Infinity);
          onNew(g, i);
        }
        ids[i] = g;
      }
      return ids;
    }
    this.intervals = true;
    const { start, end } = batch.windows;
    // Rows of one window usually come together: look the window's key map up only when it changes.
    let lastStart = NaN;
    let lastEnd = NaN;
    let keyed = map;
    for (let i = 0; i < n; i++) {
      if (start[i] !== lastStart || end[i] !== lastEnd) {
        lastStart = start[i];
        lastEnd = end[i];
        keyed = this.keysOfWindow(lastStart, lastEnd);
      }
      const k = keys[i];
      let g = keyed.get(k);
      if (g === undefined) {
        g = this.keys.length;
        keyed.set(k, g);
        this.keys.push(k);
        this.start.push(lastStart);
        this.end.push(lastEnd);
        onNew(g, i);
      }
      ids[i] = g;
    }
    return ids;
  }

  private keysOfWindow(start: number, end: number): Map<KeyPrimitive, number> {
    let byEnd = this.byWindow.get(start);
    if (!byEnd) {
      byEnd = new Map();
      this.byWindow.set(start, byEnd);
    }
    let keyed = byEnd.get(end);
    if (!keyed) {
      keyed = new Map();
      byEnd.set(end, keyed);
    }
    return keyed;
  }

  /** The output groups: one per proto-group, or merged sessions for merging windows. */
  finalGroups(): FinalGroup[] {
    const n = this.size;
    if (!this.merging) {
      const out = new Array<FinalGroup>(n);
      for (let g = 0; g < n; g++) out[g] = { members: [g], start: this.start.data[g], end: this.end.data[g], rep: g };
      return out;
    }
    const perKey = new Map<KeyPrimitive, number[]>();
    for (let g = 0; g < n; g++) {
      const list = perKey.get(this.keys[g]);
      if (list) list.push(g);
      else perKey.set(this.keys[g], [g]);
    }
    const out: FinalGroup[] = [];
    for (const list of perKey.values()) {
      list.sort((a, b) => this.start.data[a] - this.start.data[b]);
      let cur: { members: number[]; start: number; end: number; rep: number } | null = null;
      for (const g of list) {
        const s = this.start.data[g];
        const e = this.end.data[g];
        if (cur && s < cur.end) {
          cur.members.push(g);
          if (e > cur.end) cur.end = e;
        } else {
          if (cur) out.push(cur);
          cur = { members: [g], start: s, end: e, rep: g };
        }
      }
      if (cur) out.push(cur);
    }
    return out;
  }
}
