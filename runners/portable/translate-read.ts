/**
 * Unbounded source reads on portable runners: read as splittable DoFns (the read DoFn names a
 * restriction coder, the runner expands it into Beam's SDF steps, and Beamline's harness reads each
 * part for a bounded time per bundle and hands back the rest as a residual). Each part is its own
 * restriction, which the runner carries with its position and watermark wherever it resumes it, so a
 * source whose parts must each be read by one instance (`slotOf`: Kafka partitions) needs no more of
 * the runner; its parts are those `split` finds when the job starts (`discover` is not called, so
 * partitions added later are not read). Sources that publish their progress (offsets,
 * acknowledgements) ask for bundle finalization, and publish it once the runner committed a bundle.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { READ_URN, type BoundedSource } from "../../sdk/source";
import { isTestStream } from "./translate-teststream";

/** Beam's requirement of a pipeline with a splittable DoFn. */
export const SPLITTABLE_DOFN_REQUIREMENT = "beam:requirement:pardo:splittable_dofn:v1";

/** Beam's requirement of a pipeline whose DoFns ask for bundle finalization. */
export const BUNDLE_FINALIZATION_REQUIREMENT = "beam:requirement:pardo:finalization:v1";

/**
 * Why an unbounded read is refused when the runner did not inspect its sources for a splittable read
 * (runners other than Beam's job services, such as Dataflow, which reads Pub/Sub natively).
 */
export function uninspectedUnboundedRead(runner: string): string {
  return `an unbounded source (the ${runner} runner does not read unbounded sources through Beamline's harness) — run it on Prism or Flink, or on the direct runner, or bound it (generateSequence with \`to\`, periodicImpulse with \`stop\`)`;
}

/** What translation needs to know of a pipeline's unbounded reads. */
export interface UnboundedReads {
  /** Every unbounded read: a job with one never ends by itself. */
  readonly all: readonly string[];
  /** The reads whose source publishes its progress (`checkpointCompleted`): their DoFn asks for bundle finalization. */
  readonly finalizing: readonly string[];
}

/**
 * Inspects the unbounded reads (not TestStreams, which runners drive themselves) of `graph`; `fn`
 * gives a transform's runtime object.
 */
export function inspectUnboundedReads(graph: PipelineGraph, fn: (transform: string) => unknown): UnboundedReads {
  const all: string[] = [];
  const finalizing: string[] = [];
  for (const t of Object.values(graph.transforms)) {
    if (t.urn !== READ_URN || isTestStream(graph, t.uniqueName)) continue;
    if (graph.pcollections[t.outputs.main]?.bounded !== false) continue;
    all.push(t.uniqueName);
    const source = fn(t.uniqueName) as BoundedSource;
    if (source.checkpointCompleted) finalizing.push(t.uniqueName);
  }
  return { all, finalizing };
}
