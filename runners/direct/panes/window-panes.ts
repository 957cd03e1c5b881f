/**
 * Windows, panes and triggers for the grouping operators (GroupByKey and the lifted Combine), as in
 * Beam's ReduceFnRunner. Rows go to proto groups (dense ids, one per key and window, reused after
 * garbage collection); the operator keeps its data per proto group (value rows, accumulators) and
 * this engine decides when a group fires, with which pane, and when its data is cleared:
 *
 * - Non-merging windows: a group per (key, window). Session windows: a row joins the key's session
 *   it overlaps, sessions that come to overlap merge, and a merged group fires its members' data.
 * - The default trigger fires the on-time pane when the input watermark passes the end of the window
 *   and a late pane after each batch of late data; other triggers run a {@link TriggerMachine} per
 *   group, woken by elements, by the watermark passing the end of the window, and by processing time.
 * - Rows of windows past their allowed lateness are dropped and counted (`droppedLateRows`), as are
 *   rows of windows whose trigger finished (`droppedClosedWindowRows`).
 * - The on-time pane is emitted even when empty unless the strategy's on-time behaviour is
 *   `fireIfNonEmpty` (then the pane is skipped, and later panes are late); early and late panes only
 *   with new data. A window is garbage-collected once the watermark passes its end plus the allowed
 *   lateness (at most the end of the global window), emitting a final pane if data is pending, or
 *   always when the closing behaviour is `fireAlways`.
 * - Panes carry Beam's index and non-speculative index (-1 for early panes; on-time and late panes
 *   count from 0). A session that grows or merges is a new window: its panes start fresh, as in
 *   Beam's ReduceFnRunner; closed sessions take no part in merging.
 * - As Beam's WatermarkHold: an element behind the published output watermark, or in a window the
 *   input watermark has passed, holds nothing and gives no "earliest"/"latest" timestamp; a pane
 *   without such elements is stamped at the end of its window.
 */
import { PaneTiming, paneFlags, type ElementBatch } from "../../../sdk/batch";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { isMerging, type WindowingStrategy } from "../../../sdk/window";
import { utf8KeyAt, type KeyPrimitive, type Utf8Keys } from "../data/keys";
import type { Operator, OperatorContext } from "../contract/operator";
import { TriggerMachine, type TriggerState } from "./trigger-machine";
import { KeyTable } from "../data/key-table";

// Module-level copies: an imported binding is a property read on every use, too slow in per-row loops.
const GLOBAL_START = MIN_TIMESTAMP;
const GLOBAL_END = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
const GLOBAL_MAX = GLOBAL_WINDOW_MAX_TIMESTAMP;
/** Window tables an engine keeps at hand. */
const RECENT_WINDOWS = 4;

/** A growable typed column. */
class Column<A extends Float64Array | Int32Array | Uint8Array> {
  length = 0;
  constructor(public data: A) {}
  set(i: number, v: number): void {
    this.reserve(i);
    this.data[i] = v;
  }
  /** Makes index `i` writable through `data`. */
  reserve(i: number): void {
    if (i >= this.data.length) {
      const next = new (this.data.constructor as new (n: number) => A)(Math.max(i + 1, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    if (i >= this.length) this.length = i + 1;
  }
}

/** A min-heap of times with the groups due at each. */
class Agenda {
  private readonly heap: number[] = [];
  private readonly due = new Map<number, number[]>();
  // The list of the time last added to (groups of one window arrive together).
  private lastTime = NaN;
  private lastList: number[] | null = null;
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

/** A group about to be emitted as a pane. */
export interface FiredGroup {
  /** The group's id (its representative proto group). */
  readonly rep: number;
  /** The proto groups whose data the pane holds. */
  readonly members: readonly number[];
  readonly key: KeyPrimitive;
  /** The window. */
  readonly start: number;
  readonly end: number;
  /** Pane flags (see `paneFlags`), index and non-speculative index (-1 for early panes). */
  readonly flags: number;
  readonly index: number;
  readonly nonSpeculativeIndex: number;
  /** The output timestamp. */
  readonly timestamp: number;
}

/** What the engine asks of the operator that holds the data. */
export interface PaneData {
  /** A new (or reused) proto group for `row` of the current batch: start its data empty. */
  init(proto: number, row: number): void;
  /** Emits one pane per group. */
  emit(groups: readonly FiredGroup[]): void;
  /** Forgets the data of these proto groups. */
  clear(protos: readonly number[]): void;
}

/** One live group of a pane engine as plain data, for checkpoints. */
export interface PaneGroupState {
  readonly key: KeyPrimitive;
  /** The window. */
  readonly start: number;
  readonly end: number;
  /** Per-group pane state (see {@link WindowPanes}). */
  readonly pending: number;
  readonly timing: number;
  readonly closed: number;
  readonly createdLate: number;
  readonly paneIndex: number;
  /** The next non-speculative pane index (absent in checkpoints older than it: derived from the timing). */
  readonly nonSpeculativeIndex?: number;
  readonly minTs: number;
  readonly maxTs: number;
  readonly trigger: TriggerState | null;
  /** The processing time the group waits for, if any. */
  readonly wake: number | null;
  /** The proto groups whose data the group holds; the first is the group itself. */
  readonly members: readonly number[];
}

const NONE = 0;
const EARLY = 1;
const ON_TIME = 2;
const LATE = 3;

/** The operator hooks that hand time to a pane engine. */
export function paneTimeHooks(panes: WindowPanes, ctx: OperatorContext): Pick<Operator, "onWatermark" | "onProcessingTime" | "watermarkHold"> {
  return {
    onWatermark: (wm) => panes.onWatermark(wm),
    onProcessingTime: () => panes.onProcessingTime(ctx.processingTime()),
    watermarkHold: () => panes.hold(),
  };
}

/** The window-and-pane engine of one grouping operator instance. */
export class WindowPanes {
  private readonly machine: TriggerMachine | null;
  private readonly merging: boolean;
  private readonly lateness: number;
  private readonly discarding: boolean;
  private readonly combiner: WindowingStrategy["timestampCombiner"];
  /** Closing behaviour `fireAlways`: a final pane at garbage collection even when empty. */
  private readonly closeAlways: boolean;
  /** On-time behaviour `fireAlways`: the on-time pane even when empty. */
  private readonly onTimeAlways: boolean;
  /** The highest output watermark published (the input watermark held by {@link hold}). */
  private published = MIN_TIMESTAMP;
  // Per proto group.
  private readonly keys: KeyPrimitive[] = [];
  private readonly start = new Column(new Float64Array(1024));
  private readonly end = new Column(new Float64Array(1024));
  private readonly free: number[] = [];
  private size = 0;
  /** Live groups (non-merging windows only). */
  private live = 0;
  /** Whether a group may be closed (false until one closes; rows need no closed check until then). */
  private anyClosed = false;
  // Per representative group.
  private readonly active = new Column(new Uint8Array(1024));
  private readonly pending = new Column(new Uint8Array(1024));
  private readonly timing = new Column(new Uint8Array(1024));
  private readonly closed = new Column(new Uint8Array(1024));
  private readonly createdLate = new Column(new Uint8Array(1024));
  private readonly paneIndex = new Column(new Int32Array(1024));
  private readonly nsIndex = new Column(new Int32Array(1024));
  private readonly minTs = new Column(new Float64Array(1024));
  private readonly maxTs = new Column(new Float64Array(1024));
  private readonly triggers: (TriggerState | undefined)[] = [];
  private readonly members = new Map<number, number[]>();
  private readonly wakes = new Map<number, number>();
  private readonly pendingSet = new Set<number>();
  // Lookup.
  private globalByKey = new KeyTable();
  private readonly byWindow = new Map<number, Map<number, KeyTable>>();
  private recentWindows: { start: number; end: number; keyed: KeyTable }[] = [];
  private nextRecent = 0;
  private readonly sessions = new Map<KeyPrimitive, number[]>();
  private readonly onTime = new Agenda();
  private readonly gc = new Agenda();
  private touched = new Set<number>();
  private watermark = MIN_TIMESTAMP;
  /** Whether any group has ever been created. */
  seenData = false;

  /** One more than the largest proto group id in use: the size the operator's per-group data needs. */
  get capacity(): number {
    return this.size;
  }

  constructor(
    private readonly ctx: OperatorContext,
    strategy: WindowingStrategy,
    private readonly data: PaneData,
  ) {
    this.merging = isMerging(strategy.windowFn);
    this.machine = strategy.trigger.kind === "default" ? null : new TriggerMachine(strategy.trigger as never, { merging: this.merging });
    this.lateness = strategy.allowedLateness;
    this.discarding = strategy.accumulation !== "accumulating";
    this.combiner = strategy.timestampCombiner;
    this.closeAlways = strategy.closingBehavior === "fireAlways";
    this.onTimeAlways = strategy.onTimeBehavior !== "fireIfNonEmpty";
  }

  /**
   * Assigns the rows of a batch to proto groups, returning each row's proto group, or -1 for a row
   * dropped as too late. Call {@link afterBatch} once the operator has added the rows to its data.
   * `weights`: how many input rows each row stands for (rows pre-combined before an exchange), for
   * the counts of dropped rows.
   */
  assign(batch: ElementBatch, keys: readonly KeyPrimitive[] | Utf8Keys | Int32Array, weights: Float64Array | null = null): Int32Array {
    const ints = keys instanceof Int32Array ? keys : null;
    const utf8 = ints || Array.isArray(keys) ? null : (keys as Utf8Keys);
    const primitives = keys as readonly KeyPrimitive[];
    const bytes = utf8?.bytes;
    const offsets = utf8?.offsets;
    const n = keys.length;
    const ids = new Int32Array(n);
    const wm = this.watermark;
    const lateness = this.lateness;
    const merging = this.merging;
    const ts = batch.timestamps;
    let droppedLate = 0;
    let droppedClosed = 0;
    const global = batch.windows.kind === "global";
    const starts = global ? null : (batch.windows as { start: Float64Array }).start;
    const ends = global ? null : (batch.windows as { end: Float64Array }).end;
    // The current row's window, and what follows from it; recomputed only when the window changes.
    let s = GLOBAL_START;
    let e = GLOBAL_END;
    let late = gcTime(e, lateness) < wm;
    let passed = wm > e - 1;
    let keyed = this.globalByKey;
    const simple = !this.machine && this.combiner === "end_of_window";
    let pending = this.pending.data;
    let closed = this.closed.data;
    const anyClosed = this.anyClosed;
    for (let i = 0; i < n; i++) {
      if (!global && (starts![i] !== s || ends![i] !== e)) {
        s = starts![i];
        e = ends![i];
        late = gcTime(e, lateness) < wm;
        passed = wm > e - 1;
        if (!merging) keyed = this.keysOfWindow(s, e);
      }
      if (late) {
        ids[i] = -1;
        droppedLate += weights === null ? 1 : weights[i];
        continue;
      }
      let g: number;
      if (merging) {
        g = this.session(utf8 ? utf8KeyAt(utf8, i) : ints ? ints[i] : primitives[i], s, e, i);
        pending = this.pending.data;
        closed = this.closed.data;
      } else {
        g = ints ? keyed.getInt(ints[i]) : utf8 ? keyed.getUtf8(bytes!, offsets![i], offsets![i + 1]) : keyed.get(primitives[i]);
        if (g < 0) {
          if (ints) {
            g = this.newGroup(ints[i], s, e, i);
            keyed.addInt(ints[i], g);
          } else if (utf8) {
            g = this.newGroup(utf8KeyAt(utf8, i), s, e, i);
            keyed.addUtf8(bytes!, offsets![i], offsets![i + 1], g);
          } else {
            g = this.newGroup(primitives[i], s, e, i);
            keyed.add(primitives[i], g);
          }
          pending = this.pending.data;
          closed = this.closed.data;
        }
      }
      if (anyClosed && closed[g]) {
        ids[i] = -1;
        droppedClosed += weights === null ? 1 : weights[i];
        continue;
      }
      ids[i] = g;
      if (simple) {
        // Default trigger, end-of-window timestamps: only whether the group has new data matters, and
        // only once its window has passed (its on-time pane fires with or without new data).
        if (merging) {
          if (!pending[g]) pending[g] = 1;
          if (wm > this.end.data[g] - 1) this.touched.add(g);
        } else if (passed) {
          pending[g] = 1;
          this.touched.add(g);
        }
      } else this.addElement(g, ts[i]);
    }
    if (droppedLate > 0) this.ctx.count("droppedLateRows", droppedLate);
    if (droppedClosed > 0) this.ctx.count("droppedClosedWindowRows", droppedClosed);
    return ids;
  }

  /** Fires what the last batch made ready. */
  afterBatch(): void {
    if (this.touched.size === 0) return;
    const touched = this.touched;
    this.touched = new Set();
    const due: number[] = [];
    for (const g of touched) {
      if (!this.active.data[g]) continue;
      if (this.machine) {
        if (this.machine.shouldFire(this.triggers[g]!, this.env(g))) due.push(g);
        else this.schedule(g);
      } else if (this.watermark > this.end.data[g] - 1) due.push(g);
    }
    this.fire(due);
  }

  /** The input watermark the engine has seen. */
  get inputWatermark(): number {
    return this.watermark;
  }

  /** Every live group as plain data (closed groups too: they drop late rows until collected). */
  snapshotGroups(): PaneGroupState[] {
    const out: PaneGroupState[] = [];
    for (let g = 0; g < this.size; g++) {
      if (!this.active.data[g] || (this.merging && !this.members.has(g))) continue;
      out.push({
        key: this.keys[g],
        start: this.start.data[g],
        end: this.end.data[g],
        pending: this.pending.data[g],
        timing: this.timing.data[g],
        closed: this.closed.data[g],
        createdLate: this.createdLate.data[g],
        paneIndex: this.paneIndex.data[g],
        nonSpeculativeIndex: this.nsIndex.data[g],
        minTs: this.minTs.data[g],
        maxTs: this.maxTs.data[g],
        trigger: this.triggers[g] ? structuredClone(this.triggers[g]!) : null,
        wake: this.wakes.get(g) ?? null,
        members: this.merging ? [...this.members.get(g)!] : [g],
      });
    }
    return out;
  }

  /** Raises the watermark to a restored one (never lowers it). */
  restoreWatermark(wm: number): void {
    if (wm > this.watermark) this.watermark = wm;
  }

  /**
   * Recreates a group from {@link snapshotGroups}; returns the new proto group of each member, in
   * order: the operator puts each member's data there.
   */
  restoreGroup(s: PaneGroupState): number[] {
    const protos = s.members.map(() => (this.free.length > 0 ? this.free.pop()! : this.size++));
    this.seenData = true;
    const g = protos[0];
    for (const m of protos) {
      this.keys[m] = s.key;
      this.start.set(m, s.start);
      this.end.set(m, s.end);
      this.active.set(m, m === g ? 1 : 0);
      this.pending.set(m, 0);
      this.timing.set(m, NONE);
      this.closed.set(m, 0);
      this.createdLate.set(m, 0);
      this.paneIndex.set(m, 0);
      this.minTs.set(m, Infinity);
      this.maxTs.set(m, -Infinity);
      this.triggers[m] = undefined;
    }
    this.active.set(g, 1);
    this.pending.set(g, s.pending);
    this.timing.set(g, s.timing);
    this.closed.set(g, s.closed);
    if (s.closed) this.anyClosed = true;
    this.createdLate.set(g, s.createdLate);
    this.paneIndex.set(g, s.paneIndex);
    this.nsIndex.set(g, s.nonSpeculativeIndex ?? (s.timing === ON_TIME || s.timing === LATE ? s.paneIndex : 0));
    this.minTs.set(g, s.minTs);
    this.maxTs.set(g, s.maxTs);
    this.triggers[g] = s.trigger ? structuredClone(s.trigger) : undefined;
    if (s.pending && this.combiner !== "end_of_window") this.pendingSet.add(g);
    if (this.merging) {
      this.members.set(g, protos);
      let list = this.sessions.get(s.key);
      if (!list) this.sessions.set(s.key, (list = []));
      list.push(g);
    } else if (s.end === GLOBAL_END && s.start === GLOBAL_START) {
      this.globalByKey.add(s.key, g);
      this.live++;
    } else {
      this.keysOfWindow(s.start, s.end).add(s.key, g);
      this.live++;
    }
    this.onTime.add(s.end - 1, g);
    this.gc.add(gcTime(s.end, this.lateness), g);
    if (s.wake !== null) {
      this.wakes.set(g, s.wake);
      this.ctx.wakeAt(s.wake);
    }
    return protos;
  }

  /** The input watermark advanced: on-time panes, then garbage collection. */
  onWatermark(wm: number): void {
    if (wm < this.watermark) return;
    this.watermark = wm;
    const due: number[] = [];
    for (const g of this.onTime.takeBefore(wm)) {
      // Skip stale entries (merged away, or a session that grew later) and windows already on time or late.
      if (!this.active.data[g] || this.end.data[g] - 1 >= wm || this.timing.data[g] >= ON_TIME || this.closed.data[g]) continue;
      if (!this.machine || this.machine.shouldFire(this.triggers[g]!, this.env(g))) due.push(g);
    }
    this.fire(due);
    const taken = this.gc.takeBefore(wm);
    if (taken.length === 0) return;
    const expired: number[] = [];
    const seen = new Uint8Array(this.size);
    for (const g of taken) {
      if (!seen[g] && this.active.data[g] && gcTime(this.end.data[g], this.lateness) < wm) {
        seen[g] = 1;
        expired.push(g);
      }
    }
    if (expired.length === 0) return;
    this.fire(expired.filter((g) => !this.closed.data[g] && (this.pending.data[g] || this.closeAlways)), true);
    const cleared: number[] = [];
    if (!this.merging && expired.length === this.live) this.releaseAll(expired, cleared);
    else for (const g of expired) this.release(g, cleared);
    if (cleared.length > 0) this.data.clear(cleared);
  }

  /** Garbage-collects every group at once (non-merging windows, when all expire together, as at the end of input). */
  private releaseAll(expired: readonly number[], cleared: number[]): void {
    for (const g of expired) if (!this.closed.data[g]) cleared.push(g);
    this.globalByKey = new KeyTable();
    this.byWindow.clear();
    this.recentWindows = [];
    this.nextRecent = 0;
    this.active.data.fill(0, 0, this.size);
    this.keys.length = 0;
    this.triggers.length = 0;
    this.free.length = 0;
    this.size = 0;
    this.live = 0;
    this.anyClosed = false;
    this.wakes.clear();
    this.pendingSet.clear();
  }

  /** Processing time reached `now`: fire groups whose processing-time triggers are ready. */
  onProcessingTime(now: number): void {
    if (!this.machine) return;
    const due: number[] = [];
    for (const [g, at] of this.wakes) {
      if (at > now) continue;
      this.wakes.delete(g);
      if (!this.active.data[g]) continue;
      if (this.machine.shouldFire(this.triggers[g]!, this.env(g))) due.push(g);
      else this.schedule(g);
    }
    this.fire(due);
  }

  /**
   * The output watermark hold: the earliest timestamp a pending pane will carry (its held elements',
   * else the end of its window, or for late data its garbage-collection time). The executor
   * publishes the output watermark as the input watermark held here, so the engine records it.
   */
  hold(): number {
    let h = MAX_TIMESTAMP;
    if (this.combiner !== "end_of_window") {
      for (const g of this.pendingSet) {
        const eow = this.end.data[g] - 1;
        h = Math.min(h, this.minTs.data[g] !== Infinity ? this.outputTimestamp(g) : eow >= this.watermark ? eow : gcTime(this.end.data[g], this.lateness));
      }
    }
    const out = Math.min(this.watermark, h);
    if (out > this.published) this.published = out;
    return h;
  }

  private keysOfWindow(start: number, end: number): KeyTable {
    // Rows of a few windows arrive interleaved (out-of-order data): remember the last windows' tables.
    const recent = this.recentWindows;
    for (let k = 0; k < recent.length; k++) if (recent[k].start === start && recent[k].end === end) return recent[k].keyed;
    const keyed = this.lookUpWindow(start, end);
    recent[this.nextRecent] = { start, end, keyed };
    this.nextRecent = (this.nextRecent + 1) % RECENT_WINDOWS;
    return keyed;
  }

  private lookUpWindow(start: number, end: number): KeyTable {
    let byEnd = this.byWindow.get(start);
    if (!byEnd) this.byWindow.set(start, (byEnd = new Map()));
    let keyed = byEnd.get(end);
    if (!keyed) byEnd.set(end, (keyed = new KeyTable()));
    return keyed;
  }

  private newGroup(key: KeyPrimitive, s: number, e: number, row: number): number {
    const g = this.free.length > 0 ? this.free.pop()! : this.size++;
    this.seenData = true;
    this.keys[g] = key;
    if (g >= this.start.data.length) this.reserveAll(g);
    this.start.data[g] = s;
    this.end.data[g] = e;
    this.active.data[g] = 1;
    this.pending.data[g] = 0;
    this.timing.data[g] = NONE;
    this.closed.data[g] = 0;
    this.createdLate.data[g] = this.watermark > e - 1 ? 1 : 0;
    this.paneIndex.data[g] = 0;
    this.nsIndex.data[g] = 0;
    this.minTs.data[g] = Infinity;
    this.maxTs.data[g] = -Infinity;
    this.triggers[g] = this.machine ? this.machine.init() : undefined;
    if (this.merging) this.members.set(g, [g]);
    else this.live++;
    this.onTime.add(e - 1, g);
    this.gc.add(gcTime(e, this.lateness), g);
    this.data.init(g, row);
    return g;
  }

  /** Grows every per-group column to hold index `g`. */
  private reserveAll(g: number): void {
    for (const c of [this.start, this.end, this.minTs, this.maxTs]) c.reserve(g);
    for (const c of [this.active, this.pending, this.timing, this.closed, this.createdLate]) c.reserve(g);
    this.paneIndex.reserve(g);
    this.nsIndex.reserve(g);
  }

  /** The session group of a row: a new one, or the key's session it overlaps, merging sessions it bridges. */
  private session(key: KeyPrimitive, s: number, e: number, row: number): number {
    let list = this.sessions.get(key);
    if (!list) this.sessions.set(key, (list = []));
    // Closed sessions (trigger finished, awaiting collection) take no part in merging, but a row whose
    // window is exactly a closed session's belongs to it (and is dropped), as in Beam.
    const closed = this.closed.data;
    const overlapping = list.filter((g) => !closed[g] && this.start.data[g] < e && s < this.end.data[g]);
    if (overlapping.length === 0) {
      if (this.anyClosed) for (const c of list) if (closed[c] && this.start.data[c] === s && this.end.data[c] === e) return c;
      const g = this.newGroup(key, s, e, row);
      list.push(g);
      return g;
    }
    const target = overlapping[0];
    let ns = Math.min(s, this.start.data[target]);
    let ne = Math.max(e, this.end.data[target]);
    for (const o of overlapping.slice(1)) {
      ns = Math.min(ns, this.start.data[o]);
      ne = Math.max(ne, this.end.data[o]);
    }
    const grew = ne !== this.end.data[target] || ns !== this.start.data[target];
    this.start.set(target, ns);
    this.end.set(target, ne);
    if (overlapping.length > 1) {
      const others = overlapping.slice(1);
      if (this.machine) {
        this.triggers[target] = this.machine.onMerge(overlapping.map((g) => this.triggers[g]!), this.env(target));
      }
      const mem = this.members.get(target)!;
      for (const o of others) {
        for (const m of this.members.get(o)!) mem.push(m);
        this.members.delete(o);
        this.active.set(o, 0);
        this.wakes.delete(o);
        this.touched.delete(o);
        if (this.pending.data[o]) this.pending.set(target, 1);
        this.pendingSet.delete(o);
        this.minTs.set(target, Math.min(this.minTs.data[target], this.minTs.data[o]));
        this.maxTs.set(target, Math.max(this.maxTs.data[target], this.maxTs.data[o]));
      }
      if (this.pending.data[target]) this.pendingSet.add(target);
      this.sessions.set(key, list.filter((g) => !others.includes(g)));
    }
    if (grew) {
      // A new window: its panes start fresh (Beam keeps pane state per window, and a merged
      // session is a window of its own).
      this.paneIndex.set(target, 0);
      this.nsIndex.set(target, 0);
      this.timing.set(target, NONE);
      this.createdLate.set(target, this.watermark > ne - 1 ? 1 : 0);
      this.onTime.add(ne - 1, target);
      this.gc.add(gcTime(ne, this.lateness), target);
    }
    return target;
  }

  private addElement(g: number, ts: number): void {
    if (!this.pending.data[g]) {
      this.pending.data[g] = 1;
      if (this.combiner !== "end_of_window") this.pendingSet.add(g);
    }
    // Beam's element hold: only an element at or after the published output watermark, in a window
    // the input watermark has not passed, holds the watermark and sets the pane's timestamp.
    if (ts >= this.published && this.end.data[g] - 1 >= this.watermark) {
      if (ts < this.minTs.data[g]) this.minTs.data[g] = ts;
      if (ts > this.maxTs.data[g]) this.maxTs.data[g] = ts;
    }
    if (this.machine) this.machine.onElement(this.triggers[g]!, this.env(g), ts);
    if (this.machine || this.watermark > this.end.data[g] - 1) this.touched.add(g);
  }

  private env(g: number) {
    return { watermark: this.watermark, processingTime: this.ctx.processingTime(), window: { start: this.start.data[g], end: this.end.data[g] } };
  }

  private schedule(g: number): void {
    if (!this.machine?.usesProcessingTime) return;
    const at = this.machine.nextProcessingTime(this.triggers[g]!);
    if (at === null) return;
    if (this.wakes.get(g) === at) return;
    this.wakes.set(g, at);
    this.ctx.wakeAt(at);
  }

  private outputTimestamp(g: number): number {
    const eow = this.end.data[g] - 1;
    if (this.combiner === "end_of_window" || this.minTs.data[g] === Infinity) return eow;
    return this.combiner === "earliest" ? this.minTs.data[g] : this.maxTs.data[g];
  }

  /** Emits a pane for each group (skipping empty early and late panes) and advances their state. */
  private fire(groups: readonly number[], final = false): void {
    if (groups.length === 0) return;
    const wm = this.watermark;
    const out: FiredGroup[] = [];
    const toClear: number[] = [];
    for (const g of groups) {
      const eow = this.end.data[g] - 1;
      const previous = this.timing.data[g];
      const timing = previous === ON_TIME || previous === LATE || this.createdLate.data[g] ? LATE : wm > eow ? ON_TIME : EARLY;
      let last = final || gcTime(this.end.data[g], this.lateness) < wm;
      if (this.machine && !final) {
        this.machine.onFire(this.triggers[g]!, this.env(g));
        if (this.machine.isFinished(this.triggers[g]!)) last = true;
      }
      const members = this.merging ? this.members.get(g)! : [g];
      if (this.pending.data[g] || (timing === ON_TIME && this.onTimeAlways) || (final && this.closeAlways)) {
        const index = this.paneIndex.data[g];
        const nonSpeculative = timing === EARLY ? -1 : this.nsIndex.data[g];
        const t = timing === EARLY ? PaneTiming.Early : timing === ON_TIME ? PaneTiming.OnTime : PaneTiming.Late;
        out.push({
          rep: g,
          members,
          key: this.keys[g],
          start: this.start.data[g],
          end: this.end.data[g],
          flags: paneFlags(t, index === 0, last),
          index,
          nonSpeculativeIndex: nonSpeculative,
          timestamp: this.outputTimestamp(g),
        });
        this.paneIndex.data[g] = index + 1;
        if (timing !== EARLY) this.nsIndex.data[g] = nonSpeculative + 1;
        this.timing.data[g] = timing;
      } else if (timing === ON_TIME) {
        // The on-time pane was skipped (empty, on-time behaviour fireIfNonEmpty): the output
        // watermark moves past the window, so every later pane is late.
        this.createdLate.data[g] = 1;
      }
      this.pending.data[g] = 0;
      this.pendingSet.delete(g);
      // Each pane takes the element holds it was stamped with (Beam releases them at every firing).
      this.minTs.data[g] = Infinity;
      this.maxTs.data[g] = -Infinity;
      if (this.discarding || last) for (const m of members) toClear.push(m);
      if (last) {
        this.closed.data[g] = 1;
        this.anyClosed = true;
        this.wakes.delete(g);
      } else this.schedule(g);
    }
    if (out.length > 0) this.data.emit(out);
    if (toClear.length > 0) this.data.clear(toClear);
  }

  /** Garbage-collects a group: its lookup entries, state and proto ids; adds protos whose data to clear. */
  private release(g: number, cleared: number[]): void {
    const key = this.keys[g];
    const s = this.start.data[g];
    const e = this.end.data[g];
    if (this.merging) {
      const list = this.sessions.get(key);
      if (list) {
        const rest = list.filter((x) => x !== g);
        if (rest.length > 0) this.sessions.set(key, rest);
        else this.sessions.delete(key);
      }
    } else if (e === GLOBAL_END && s === GLOBAL_START && this.globalByKey.get(key) === g) {
      this.globalByKey.delete(key);
    } else {
      const byEnd = this.byWindow.get(s);
      const keyed = byEnd?.get(e);
      if (keyed) {
        keyed.delete(key);
        if (keyed.size === 0) {
          byEnd!.delete(e);
          if (byEnd!.size === 0) this.byWindow.delete(s);
          this.recentWindows = this.recentWindows.filter((w) => w.keyed !== keyed);
          this.nextRecent = this.recentWindows.length % RECENT_WINDOWS;
        }
      }
    }
    if (this.merging) {
      const members = this.members.get(g)!;
      if (!this.closed.data[g]) for (const m of members) cleared.push(m);
      for (const m of members) this.forget(m);
      this.members.delete(g);
    } else {
      if (!this.closed.data[g]) cleared.push(g);
      this.forget(g);
      this.live--;
    }
    if (this.wakes.size > 0) this.wakes.delete(g);
    if (this.pendingSet.size > 0) this.pendingSet.delete(g);
  }

  /** Frees a proto group's id. */
  private forget(m: number): void {
    this.active.data[m] = 0;
    if (this.machine) this.triggers[m] = undefined;
    this.keys[m] = null;
    this.free.push(m);
  }
}

/** When a window's state is collected: the end of the window plus the allowed lateness, at most the end of the global window (Beam's LateDataUtils). */
function gcTime(end: number, lateness: number): number {
  const t = end - 1 + lateness;
  return t > GLOBAL_MAX ? GLOBAL_MAX : t;
}
