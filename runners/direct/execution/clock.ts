/** The processing-time clock of an execution: the wall clock, or a simulated one that only a TestStream advances. */

/** Processing time as operators and sources read it (ms). */
export class ProcessingClock {
  /** Whether the clock is simulated (set before the run starts). */
  simulated = false;
  private simulatedNow = 0;

  /** The current processing time. */
  readonly now = (): number => (this.simulated ? this.simulatedNow : Date.now());

  /** Moves the simulated clock forward to `to` (never back). */
  advanceTo(to: number): void {
    if (to > this.simulatedNow) this.simulatedNow = to;
  }
}
