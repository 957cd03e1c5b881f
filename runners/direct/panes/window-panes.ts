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
 * - Watermark holds and pane timestamps as Beam's WatermarkHold (see {@link WatermarkHolds}).
 *
 * The engine's parts live beside it: {@link WindowKeys} (groups by window and key), {@link Sessions}
 * (sessions per key and their proto groups), {@link WatermarkHolds}, the {@link Agenda} of due times.
 */
import { PaneTiming, paneFlags, type ElementBatch } from "../../../sdk/batch";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { isMerging, type WindowingStrategy } from "../../../sdk/window";
import { utf8KeyAt, type KeyPrimitive, type Utf8Keys } from "../data/keys";
import { GrowableColumn } from "../data/growable-columns";
import type { OperatorContext } from "../contract/operator";
import { TriggerMachine, type TriggerState } from "./trigger-machine";
import { Agenda } from "./agenda";
import * as gcTimes from "./gc-time";
import type { FiredGroup, PaneData } from "./pane-data";
import type { PaneGroupState } from "./pane-group-state";
import * as paneTimings from "./pane-timing";
import { Sessions } from "./sessions";
import { WatermarkHolds } from "./watermark-holds";
import { WindowKeys } from "./window-keys";

// Module-level copies: an imported binding is a property read on every use, too slow in per-row loops.
const GLOBAL_START = MIN_TIMESTAMP;
const GLOBAL_END = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;
const { gcTime } = gcTimes;
const { NONE, EARLY, ON_TIME, LATE } = paneTimings;

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
  // Per proto group.
  private readonly keys: KeyPrimitive[] = [];
  private readonly start = new GrowableColumn(new Float64Array(1024));
  private readonly end = new GrowableColumn(new Float64Array(1024));
  private readonly free: number[] = [];
  private size = 0;
  /** Live groups (non-merging windows only). */
  private live = 0;
  /** Whether a group may be closed (false until one closes; rows need no closed check until then). */
  private anyClosed = false;
  // Per representative group.
  private readonly active = new GrowableColumn(new Uint8Array(1024));
  private readonly pending = new GrowableColumn(new Uint8Array(1024));
  private readonly timing = new GrowableColumn(new Uint8Array(1024));
  private readonly closed = new GrowableColumn(new Uint8Array(1024));
  private readonly createdLate = new GrowableColumn(new Uint8Array(1024));
  private readonly paneIndex = new GrowableColumn(new Int32Array(1024));
  private readonly nsIndex = new GrowableColumn(new Int32Array(1024));
  private readonly holds: WatermarkHolds;
  private readonly triggers: (TriggerState | undefined)[] = [];
  private readonly wakes = new Map<number, number>();
  // Lookup: non-merging windows by window and key, sessions by key.
  private readonly windowKeys = new WindowKeys();
  private readonly sessions = new Sessions(this.start, this.end, this.closed);
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
    this.holds = new WatermarkHolds(this.end, this.combiner, this.lateness);
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
    let keyed = this.windowKeys.global;
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
        if (!merging) keyed = this.windowKeys.of(s, e);
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
      if (!this.active.data[g] || (this.merging && !this.sessions.has(g))) continue;
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
        minTs: this.holds.minTs.data[g],
        maxTs: this.holds.maxTs.data[g],
        trigger: this.triggers[g] ? structuredClone(this.triggers[g]!) : null,
        wake: this.wakes.get(g) ?? null,
        members: this.merging ? [...this.sessions.membersOf(g)] : [g],
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
      this.holds.restore(m, Infinity, -Infinity);
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
    this.holds.restore(g, s.minTs, s.maxTs);
    this.triggers[g] = s.trigger ? structuredClone(s.trigger) : undefined;
    if (s.pending) this.holds.pend(g);
    if (this.merging) this.sessions.add(this.sessions.of(s.key), g, protos);
    else {
      this.windowKeys.add(s.key, s.start, s.end, g);
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
    this.windowKeys.clear();
    this.active.data.fill(0, 0, this.size);
    this.keys.length = 0;
    this.triggers.length = 0;
    this.free.length = 0;
    this.size = 0;
    this.live = 0;
    this.anyClosed = false;
    this.wakes.clear();
    this.holds.clear();
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

  /** The output watermark hold (see {@link WatermarkHolds.hold}). */
  hold(): number {
    return this.holds.hold(this.watermark);
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
    this.holds.reset(g);
    this.triggers[g] = this.machine ? this.machine.init() : undefined;
    if (!this.merging) this.live++;
    this.onTime.add(e - 1, g);
    this.gc.add(gcTime(e, this.lateness), g);
    this.data.init(g, row);
    return g;
  }

  /** Grows every per-group column to hold index `g`. */
  private reserveAll(g: number): void {
    for (const c of [this.start, this.end]) c.reserve(g);
    this.holds.reserve(g);
    for (const c of [this.active, this.pending, this.timing, this.closed, this.createdLate]) c.reserve(g);
    this.paneIndex.reserve(g);
    this.nsIndex.reserve(g);
  }

  /** The session group of a row: a new one, or the key's session it overlaps, merging sessions it bridges. */
  private session(key: KeyPrimitive, s: number, e: number, row: number): number {
    const list = this.sessions.of(key);
    // A row whose window is exactly a closed session's belongs to it (and is dropped), as in Beam.
    const overlapping = this.sessions.overlapping(list, s, e);
    if (overlapping.length === 0) {
      if (this.anyClosed) {
        const c = this.sessions.closedAt(list, s, e);
        if (c >= 0) return c;
      }
      const g = this.newGroup(key, s, e, row);
      this.sessions.add(list, g, [g]);
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
    if (overlapping.length > 1) this.merge(key, target, overlapping);
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

  /** Merges the key's sessions `overlapping` (after the first) into the first: their triggers, data, pending state and holds. */
  private merge(key: KeyPrimitive, target: number, overlapping: readonly number[]): void {
    const others = overlapping.slice(1);
    if (this.machine) {
      this.triggers[target] = this.machine.onMerge(overlapping.map((g) => this.triggers[g]!), this.env(target));
    }
    for (const o of others) {
      this.active.set(o, 0);
      this.wakes.delete(o);
      this.touched.delete(o);
      if (this.pending.data[o]) this.pending.set(target, 1);
      this.holds.merge(target, o);
    }
    if (this.pending.data[target]) this.holds.pend(target);
    this.sessions.absorb(key, target, others);
  }

  private addElement(g: number, ts: number): void {
    if (!this.pending.data[g]) {
      this.pending.data[g] = 1;
      this.holds.pend(g);
    }
    this.holds.observe(g, ts, this.watermark);
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

  /** Emits a pane for each group (skipping empty early and late panes) and advances their state. */
  private fire(groups: readonly number[], final = false): void {
    if (groups.length === 0) return;
    const wm = this.watermark;
    // Panes go out a batch at a time: a million windows firing at once never live as one array.
    const batch = this.ctx.options.batchSize;
    let out: FiredGroup[] = [];
    let toClear: number[] = [];
    for (const g of groups) {
      if (out.length >= batch) {
        this.data.emit(out);
        out = [];
        if (toClear.length > 0) this.data.clear(toClear);
        toClear = [];
      }
      const eow = this.end.data[g] - 1;
      const previous = this.timing.data[g];
      const timing = previous === ON_TIME || previous === LATE || this.createdLate.data[g] ? LATE : wm > eow ? ON_TIME : EARLY;
      let last = final || gcTime(this.end.data[g], this.lateness) < wm;
      if (this.machine && !final) {
        this.machine.onFire(this.triggers[g]!, this.env(g));
        if (this.machine.isFinished(this.triggers[g]!)) last = true;
      }
      const members = this.merging ? this.sessions.membersOf(g) : [g];
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
          timestamp: this.holds.outputTimestamp(g),
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
      // Each pane takes the element holds it was stamped with (Beam releases them at every firing).
      this.holds.release(g);
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
    if (this.merging) {
      const members = this.sessions.remove(this.keys[g], g);
      if (!this.closed.data[g]) for (const m of members) cleared.push(m);
      for (const m of members) this.forget(m);
    } else {
      this.windowKeys.remove(this.keys[g], this.start.data[g], this.end.data[g], g);
      if (!this.closed.data[g]) cleared.push(g);
      this.forget(g);
      this.live--;
    }
    if (this.wakes.size > 0) this.wakes.delete(g);
    this.holds.forget(g);
  }

  /** Frees a proto group's id. */
  private forget(m: number): void {
    this.active.data[m] = 0;
    if (this.machine) this.triggers[m] = undefined;
    this.keys[m] = null;
    this.free.push(m);
  }
}
