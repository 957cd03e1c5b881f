/**
 * The processing-time clock of an execution: the wall clock, or the simulated clock its TestStreams
 * share (see `simulated-clock.ts`), which only they advance.
 */
import type { SimulatedClock } from "./simulated-clock";

/** Processing time as operators and sources read it (ms). */
export class ProcessingClock {
  /** The TestStreams' shared clock, when the run has any (set before the run starts). */
  simulated: SimulatedClock | null = null;

  /** The current processing time. */
  readonly now = (): number => (this.simulated ? this.simulated.now() : Date.now());
}
