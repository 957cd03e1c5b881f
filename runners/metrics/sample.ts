/**
 * What one instance of a run reports about its transforms, periodically while it runs and once when it
 * ends: cumulative counts per transform in a flat array (a few numbers per transform, cheap to post
 * between threads), output watermarks, named counters, source backlog and user metrics.
 */
import type { UserMetricValue } from "../../sdk/metrics";

/** The cumulative counts kept per transform, in the order of a sample's `values` (`deadLetterRows`: rows emitted on a `deadLetter` output). */
export const TRANSFORM_FIELDS = ["rowsIn", "batchesIn", "bytesIn", "rowsOut", "batchesOut", "bytesOut", "processingMs", "backpressureMs", "alignmentMs", "deadLetterRows"] as const;

/** One of {@link TRANSFORM_FIELDS}. */
export type TransformField = (typeof TRANSFORM_FIELDS)[number];

/** The position of each field in a transform's stretch of `values`. */
export const FIELD = Object.fromEntries(TRANSFORM_FIELDS.map((f, i) => [f, i])) as { readonly [F in TransformField]: number };

/** What a source reports it has yet to read of one partition (Kafka's lag, a file's remaining bytes). */
export interface BacklogEntry {
  readonly transform: string;
  readonly partition: string;
  /** Records not read yet, when known. */
  readonly records?: number;
  /** Bytes not read yet, when known. */
  readonly bytes?: number;
}

/** A snapshot of one instance's metrics. */
export interface InstanceSample {
  /** The instance, 0-based. */
  readonly instance: number;
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** The transforms sampled. */
  readonly transforms: readonly string[];
  /** {@link TRANSFORM_FIELDS}`.length` cumulative numbers per transform, in the order of `transforms`. */
  readonly values: readonly number[];
  /** The output watermark of each transform (ms), in the order of `transforms`. */
  readonly watermarks: readonly number[];
  /** Named counters per transform, such as `droppedLateRows`. */
  readonly counters: readonly (readonly [string, readonly (readonly [string, number])[]])[];
  /** The backlog sources reported last. */
  readonly backlog: readonly BacklogEntry[];
  /** User metrics, one per transform, namespace and name. */
  readonly user: readonly UserMetricValue[];
}
