/**
 * A stateful ParDo's timer table on disk (`--state-backend=disk`): each pending timer is an entry of
 * the operator's {@link DiskStore}, `t<wid>\0<keyId>\0<name>`, found in firing-time order per domain
 * and by output timestamp (the watermark hold) through two side indexes, ties in the order timers
 * were set. The API is {@link TimerTable}'s.
 */
import type { TimeDomain } from "../../../sdk/state";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import { keyGroupOf } from "../data/key-groups";
import type { DiskStore, IndexKey } from "./disk-store";
import { windowId } from "./table";
import type { TimerData, TimerTableSnapshot } from "./timers";

/** A timer as stored: its entry id, the key it belongs to, and the order it was set in. */
export interface StoredTimer {
  readonly id: string;
  readonly keyId: string;
  readonly data: TimerData;
  readonly version: number;
}

/** The entry id of a timer. */
export function timerEntryId(wid: string, keyId: string, name: string): string {
  return `t${wid}\u0000${keyId}\u0000${name}`;
}

/** Pending timers of one operator, in a {@link DiskStore}. */
export class DiskTimerTable {
  private version = 0;
  /** The earliest timer per domain and the hold, as last read (null: to read again); a change forgets them. */
  private earliest: Record<TimeDomain, TimerData | undefined | null> = { event: null, processing: null };
  private minHold: number | null = null;

  constructor(private readonly store: DiskStore) {}

  /** Sets a timer, replacing the one of the same key, window and name. */
  set(t: TimerData): void {
    const id = timerEntryId(windowId(t.window), t.keyId, t.name);
    this.changed();
    this.store.batch(() => {
      this.unindex(this.stored(id));
      const version = ++this.version;
      this.store.put(id, keyGroupOf(t.keyId), { id, keyId: t.keyId, data: t, version } satisfies StoredTimer);
      this.store.index(t.domain).putSync([t.at, version], id);
      this.store.index("hold").putSync([t.outputTimestamp, version], id);
    });
  }

  /** Cancels a timer. */
  clear(wid: string, keyId: string, name: string): void {
    const id = timerEntryId(wid, keyId, name);
    const s = this.stored(id);
    if (!s) return;
    this.changed();
    this.store.batch(() => {
      this.unindex(s);
      this.store.remove(id, keyGroupOf(keyId));
    });
  }

  /** The pending timer of a key, window and name. */
  get(wid: string, keyId: string, name: string): TimerData | undefined {
    return this.stored(timerEntryId(wid, keyId, name))?.data;
  }

  /** The earliest pending timer of a domain, or undefined. */
  peek(domain: TimeDomain): TimerData | undefined {
    const known = this.earliest[domain];
    if (known !== null) return known;
    let first: TimerData | undefined;
    for (const { value } of this.store.index(domain).getRange({ limit: 1 })) first = this.stored(value)?.data;
    return (this.earliest[domain] = first);
  }

  /** Removes and returns the earliest pending timer of a domain if it is due at `now` (see `TimerTable.popDue`). */
  popDue(domain: TimeDomain, now: number, strictly: boolean): TimerData | undefined {
    const t = this.peek(domain);
    if (!t || (strictly ? t.at >= now : t.at > now)) return undefined;
    this.clear(windowId(t.window), t.keyId, t.name);
    return t;
  }

  /** The minimum output timestamp over pending timers, or `MAX_TIMESTAMP`. */
  hold(): number {
    if (this.minHold !== null) return this.minHold;
    let hold = MAX_TIMESTAMP;
    for (const key of this.store.index("hold").getKeys({ limit: 1 })) hold = (key as IndexKey)[0] as number;
    return (this.minHold = hold);
  }

  /** How many timers are pending. */
  get size(): number {
    return this.store.count("t");
  }

  /** Adds the timers of a snapshot (to an empty table), in its order. */
  restore(snapshot: TimerTableSnapshot): void {
    this.store.batch(() => {
      for (const t of snapshot.timers) this.set(t);
    });
  }

  /** Sets (or removes, `value` undefined) timer entry `id` as a checkpoint's state file has it (a restore replaying the chain). */
  apply(id: string, keyGroup: number, value: StoredTimer | undefined): void {
    if (value !== undefined) return this.set(value.data);
    const s = this.stored(id);
    if (!s) return;
    this.changed();
    this.store.batch(() => {
      this.unindex(s);
      this.store.remove(id, keyGroup);
    });
  }

  private changed(): void {
    this.earliest = { event: null, processing: null };
    this.minHold = null;
  }

  private stored(id: string): StoredTimer | undefined {
    return this.store.get(id) as StoredTimer | undefined;
  }

  private unindex(s: StoredTimer | undefined): void {
    if (!s) return;
    this.store.index(s.data.domain).removeSync([s.data.at, s.version]);
    this.store.index("hold").removeSync([s.data.outputTimestamp, s.version]);
  }
}
