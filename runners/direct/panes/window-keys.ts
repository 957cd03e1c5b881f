/** The groups of non-merging windows by window and key, as a pane engine looks them up for each row. */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import type { KeyPrimitive } from "../data/keys";
import { KeyTable } from "../data/key-table";

const GLOBAL_START = MIN_TIMESTAMP;
const GLOBAL_END = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
/** Window tables kept at hand. */
const RECENT_WINDOWS = 4;

/** A key table of groups per window; the global window's and the last few windows' tables at hand. */
export class WindowKeys {
  /** The global window's groups by key. */
  global = new KeyTable();
  private readonly byWindow = new Map<number, Map<number, KeyTable>>();
  private recent: { start: number; end: number; keyed: KeyTable }[] = [];
  private nextRecent = 0;

  /** The groups of window [start, end) by key (created empty). */
  of(start: number, end: number): KeyTable {
    // Rows of a few windows arrive interleaved (out-of-order data): remember the last windows' tables.
    const recent = this.recent;
    for (let k = 0; k < recent.length; k++) if (recent[k].start === start && recent[k].end === end) return recent[k].keyed;
    const keyed = this.lookUp(start, end);
    recent[this.nextRecent] = { start, end, keyed };
    this.nextRecent = (this.nextRecent + 1) % RECENT_WINDOWS;
    return keyed;
  }

  /** Adds group `g` of `key` in window [start, end). */
  add(key: KeyPrimitive, start: number, end: number, g: number): void {
    if (end === GLOBAL_END && start === GLOBAL_START) this.global.add(key, g);
    else this.of(start, end).add(key, g);
  }

  /** Removes group `g` of `key` in window [start, end), and the window's table once empty. */
  remove(key: KeyPrimitive, start: number, end: number, g: number): void {
    if (end === GLOBAL_END && start === GLOBAL_START && this.global.get(key) === g) {
      this.global.delete(key);
      return;
    }
    const byEnd = this.byWindow.get(start);
    const keyed = byEnd?.get(end);
    if (keyed) {
      keyed.delete(key);
      if (keyed.size === 0) {
        byEnd!.delete(end);
        if (byEnd!.size === 0) this.byWindow.delete(start);
        this.recent = this.recent.filter((w) => w.keyed !== keyed);
        this.nextRecent = this.recent.length % RECENT_WINDOWS;
      }
    }
  }

  /** Forgets every group. */
  clear(): void {
    this.global = new KeyTable();
    this.byWindow.clear();
    this.recent = [];
    this.nextRecent = 0;
  }

  private lookUp(start: number, end: number): KeyTable {
    let byEnd = this.byWindow.get(start);
    if (!byEnd) this.byWindow.set(start, (byEnd = new Map()));
    let keyed = byEnd.get(end);
    if (!keyed) byEnd.set(end, (keyed = new KeyTable()));
    return keyed;
  }
}
