/**
 * The source contract. A source splits into parts (JSON descriptors, so a runner can hand them to
 * threads or remote workers) and reads each part from a position, reporting positions as it goes so
 * a checkpoint can resume exactly there.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "./batch";
import type { JsonValue } from "./graph";

/** One chunk a source yields. */
export interface SourceChunk {
  /** The output tag: the main output when absent, or for example `deadLetter`. */
  readonly tag?: string;
  readonly batch: ElementBatch;
  /** The position after this chunk, from which a later read resumes. */
  readonly position?: JsonValue;
}

/** A finite source. */
export interface BoundedSource {
  /** Splits into independent parts (a runner may read them in parallel). */
  split(desiredParts: number): Promise<JsonValue[]>;
  /** Reads one part, from a position (null for the start). */
  read(part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk>;
}

/** URN of Beamline's read primitive. */
export const READ_URN = "beamline:transform:read:v1";

/** The schema a source declares for its output, if any. */
export type SourceSchema = arrow.Schema | null;
