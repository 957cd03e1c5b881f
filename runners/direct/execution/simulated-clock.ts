/**
 * The simulated processing-time clock of a run with TestStreams, shared by all of them.
 *
 * Each TestStream's script is a timeline of its own: it starts at processing time 0 and moves only
 * by the script's processing-time advances, so an event's processing time is the sum of the advances
 * before it. The run has one clock. At each instant the streams deliver their events in pipeline
 * order — the first stream its events up to its next processing-time advance (or its end), then the
 * second, and so on; once every stream waits for a later time or has ended, the clock moves to the
 * earliest time a stream waits for, the processing-time timers due by then fire, and the streams
 * waiting for that time go on, again in pipeline order. With one TestStream this is Beam's
 * TestStream exactly: events in script order, the clock moving by each advance. With several, no
 * stream runs ahead of another in processing time, and a run is deterministic.
 */
export class SimulatedClock {
  private current = 0;
  /** Per stream, in pipeline order: the time it waits for (Infinity once it ended). */
  private readonly waitsFor: number[];
  private readonly waiting = new Map<number, () => void>();

  constructor(streams: number) {
    this.waitsFor = new Array<number>(streams).fill(0);
  }

  /** The clock's time (ms). */
  now(): number {
    return this.current;
  }

  /** Resolves once it is stream `i`'s turn to deliver events. */
  turn(i: number): Promise<void> {
    if (this.whoseTurn() === i) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(i, resolve));
  }

  /** Stream `i` delivered every event before its advance to `to` (ms on its own timeline). */
  waitFor(i: number, to: number): void {
    this.waitsFor[i] = Math.max(this.waitsFor[i], to);
  }

  /** Stream `i` delivered its last event. */
  end(i: number): void {
    this.waitsFor[i] = Infinity;
  }

  /**
   * When no stream has a turn and one waits, moves the clock to the earliest time a stream waits for
   * and returns true (the caller fires the processing-time timers due, then calls {@link wake}).
   */
  advance(): boolean {
    if (this.whoseTurn() >= 0) return false;
    const next = Math.min(...this.waitsFor);
    if (next === Infinity) return false;
    this.current = Math.max(this.current, next);
    return true;
  }

  /** Lets the stream whose turn it is go on. */
  wake(): void {
    const i = this.whoseTurn();
    const resolve = this.waiting.get(i);
    if (resolve) {
      this.waiting.delete(i);
      resolve();
    }
  }

  /** The first stream, in pipeline order, that has events at the current time; -1 when none has. */
  private whoseTurn(): number {
    return this.waitsFor.findIndex((t) => t <= this.current);
  }
}
