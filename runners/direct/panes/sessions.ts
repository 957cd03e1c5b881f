/**
 * The sessions of a pane engine over merging windows: each key's live sessions, and the proto
 * groups whose data each session holds (its own, then those of the sessions merged into it). Closed
 * sessions (trigger finished, awaiting collection) take no part in merging.
 */
import type { GrowableColumn } from "../data/growable-columns";
import type { KeyPrimitive } from "../data/keys";

/** Each key's sessions and each session's proto groups. */
export class Sessions {
  private readonly byKey = new Map<KeyPrimitive, number[]>();
  private readonly members = new Map<number, number[]>();

  /** The engine's per-group window bounds and closed flags. */
  constructor(
    private readonly start: GrowableColumn<Float64Array>,
    private readonly end: GrowableColumn<Float64Array>,
    private readonly closed: GrowableColumn<Uint8Array>,
  ) {}

  /** The key's sessions (created empty). */
  of(key: KeyPrimitive): number[] {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    return list;
  }

  /** The open sessions of `sessions` that window [s, e) overlaps, in order. */
  overlapping(sessions: readonly number[], s: number, e: number): number[] {
    const closed = this.closed.data;
    return sessions.filter((g) => !closed[g] && this.start.data[g] < e && s < this.end.data[g]);
  }

  /** The closed session of `sessions` whose window is exactly [s, e), or -1. */
  closedAt(sessions: readonly number[], s: number, e: number): number {
    const closed = this.closed.data;
    for (const c of sessions) if (closed[c] && this.start.data[c] === s && this.end.data[c] === e) return c;
    return -1;
  }

  /** Adds session `g` to `sessions` (a key's, from {@link of}), holding the data of `protos`. */
  add(sessions: number[], g: number, protos: number[]): void {
    this.members.set(g, protos);
    sessions.push(g);
  }

  /** Merges the sessions `others` of `key` into its session `target`, which then holds their proto groups. */
  absorb(key: KeyPrimitive, target: number, others: readonly number[]): void {
    const mem = this.members.get(target)!;
    for (const o of others) {
      for (const m of this.members.get(o)!) mem.push(m);
      this.members.delete(o);
    }
    this.byKey.set(key, this.byKey.get(key)!.filter((g) => !others.includes(g)));
  }

  /** Whether `g` is a live session (not merged into another). */
  has(g: number): boolean {
    return this.members.has(g);
  }

  /** The proto groups whose data session `g` holds; the first is `g`. */
  membersOf(g: number): number[] {
    return this.members.get(g)!;
  }

  /** Removes session `g` of `key`, returning its proto groups. */
  remove(key: KeyPrimitive, g: number): number[] {
    const list = this.byKey.get(key);
    if (list) {
      const rest = list.filter((x) => x !== g);
      if (rest.length > 0) this.byKey.set(key, rest);
      else this.byKey.delete(key);
    }
    const members = this.members.get(g)!;
    this.members.delete(g);
    return members;
  }
}
