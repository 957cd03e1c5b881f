/**
 * A Beam test re-expressed as a pipeline that carries its own assertions with Beam's expected values:
 * built once, run by the direct runner's semantics tests and by the portable integration suite.
 */
import type { Pipeline } from "beamline";

/** One Beam test as a pipeline with its assertions. */
export interface SemanticsScenario {
  /** What the scenario shows (the test's name). */
  readonly name: string;
  /** The Beam test it re-expresses, e.g. `TestStreamTest.testDiscardingMode`. */
  readonly beam: string;
  /** A fresh pipeline holding the scenario's assertions. */
  readonly build: () => Pipeline;
}
