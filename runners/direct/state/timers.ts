/**
 * The timer table of a stateful ParDo: at most one timer per key, window and name (setting again
 * replaces), retrieved in firing-time order per time domain, with the minimum output timestamp of the
 * pending timers as the operator's watermark hold. Plain data, with `snapshot()` and `restore()`.
 */
import type { TimeDomain } from "../../../sdk/state";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import type { Window } from "../../../sdk/window";
import { MinHeap } from "./heap";
import { windowId } from "./table";

/** One pending timer. */
export interface TimerData {
  readonly key: unknown;
  readonly keyId: string;
  readonly window: Window;
  readonly name: string;
  readonly domain: TimeDomain;
  /** When it fires (ms). */
  readonly at: number;
  /** The timestamp of what it outputs; holds the watermark while pending. */
  readonly outputTimestamp: number;
}

/** A timer table as plain, structured-cloneable data. */
export interface TimerTableSnapshot {
  readonly timers: TimerData[];
}

interface Ref {
  readonly id: string;
  readonly version: number;
}

/** Pending timers of one operator. */
export class TimerTable {
  private readonly timers = new Map<string, { data: TimerData; version: number }>();
  private readonly byTime = { event: new MinHeap<Ref>(), processing: new MinHeap<Ref>() };
  private readonly holds = new MinHeap<Ref>();
  private version = 0;

  /** Sets a timer, replacing the one of the same key, window and name. */
  set(t: TimerData): void {
    const id = timerId(windowId(t.window), t.keyId, t.name);
    const ref = { id, version: ++this.version };
    this.timers.set(id, { data: t, version: ref.version });
    this.byTime[t.domain].push(t.at, ref);
    this.holds.push(t.outputTimestamp, ref);
    if (this.holds.size > 2 * this.timers.size + 64) this.compact();
  }

  /** Cancels a timer. */
  clear(wid: string, keyId: string, name: string): void {
    this.timers.delete(timerId(wid, keyId, name));
  }

  /** The pending timer of a key, window and name. */
  get(wid: string, keyId: string, name: string): TimerData | undefined {
    return this.timers.get(timerId(wid, keyId, name))?.data;
  }

  /** The earliest pending timer of a domain, or undefined. */
  peek(domain: TimeDomain): TimerData | undefined {
    const heap = this.byTime[domain];
    for (let top = heap.peek(); top; top = heap.peek()) {
      const live = this.timers.get(top.item.id);
      if (live && live.version === top.item.version) return live.data;
      heap.pop();
    }
    return undefined;
  }

  /**
   * Removes and returns the earliest pending timer of a domain if it is due at `now`: when `now` is
   * past its time (`strictly`, event time: the watermark passed it) or at or past it (processing time).
   */
  popDue(domain: TimeDomain, now: number, strictly: boolean): TimerData | undefined {
    const t = this.peek(domain);
    if (!t || (strictly ? t.at >= now : t.at > now)) return undefined;
    this.timers.delete(timerId(windowId(t.window), t.keyId, t.name));
    return t;
  }

  /** The minimum output timestamp over pending timers, or `MAX_TIMESTAMP`. */
  hold(): number {
    for (let top = this.holds.peek(); top; top = this.holds.peek()) {
      const live = this.timers.get(top.item.id);
      if (live && live.version === top.item.version) return top.priority;
      this.holds.pop();
    }
    return MAX_TIMESTAMP;
  }

  /** How many timers are pending. */
  get size(): number {
    return this.timers.size;
  }

  /** A deep copy of the pending timers. */
  snapshot(): TimerTableSnapshot {
    return structuredClone({ timers: [...this.timers.values()].map((t) => t.data) });
  }

  /** Replaces the contents with a snapshot. */
  restore(snapshot: TimerTableSnapshot): void {
    this.timers.clear();
    this.compact();
    for (const t of structuredClone(snapshot).timers) this.set(t);
  }

  /** Rebuilds the heaps from the live timers, dropping stale entries. */
  private compact(): void {
    this.byTime.event.clear();
    this.byTime.processing.clear();
    this.holds.clear();
    const live = [...this.timers.entries()].sort((a, b) => a[1].version - b[1].version);
    for (const [id, { data, version }] of live) {
      this.byTime[data.domain].push(data.at, { id, version });
      this.holds.push(data.outputTimestamp, { id, version });
    }
  }
}

function timerId(wid: string, keyId: string, name: string): string {
  return `${wid}\u0000${keyId}\u0000${name}`;
}
