/**
 * Unbounded source reads on portable runners: read as splittable DoFns (the read DoFn names a
 * restriction coder, the runner expands it into Beam's SDF steps, and Beamline's harness reads each
 * part for a bounded time per bundle and hands back the rest as a residual). Sources that need more of
 * the runner than that are refused before submission, saying why.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { READ_URN, type BoundedSource } from "../../sdk/source";
import { isTestStream } from "./translate-teststream";

/** Beam's requirement of a pipeline with a splittable DoFn. */
export const SPLITTABLE_DOFN_REQUIREMENT = "beam:requirement:pardo:splittable_dofn:v1";

/**
 * Why an unbounded source cannot be read as a splittable DoFn by Beamline's harness, or null when it
 * can. A source that publishes progress at checkpoints (Kafka's committed offsets, Pub/Sub's acks)
 * needs bundle finalization; one whose parts are pinned to instances (`slotOf`) or grow while it runs
 * (`discover`) needs the runner to keep that assignment: the harness does neither yet.
 */
export function splittableReadProblem(source: BoundedSource): string | null {
  const needs: string[] = [];
  if (source.checkpointCompleted) needs.push("publishes its progress when a checkpoint completes (bundle finalization)");
  if (source.slotOf) needs.push("reads each part on one stable instance");
  if (source.discover) needs.push("discovers new parts while it runs");
  if (needs.length === 0) return null;
  return `an unbounded source that ${needs.join(", ")}: Beamline's harness reads unbounded sources as splittable DoFns but does not implement that yet — run it on the direct runner, or bound it (readKafka with stopAt: "end", readPubSub with maxMessages)`;
}

/**
 * The unbounded reads (not TestStreams, which runners drive themselves) of `graph` that the harness
 * cannot read, with the reason; `fn` gives a transform's runtime object.
 */
export function unboundedReadProblems(graph: PipelineGraph, fn: (transform: string) => unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of Object.values(graph.transforms)) {
    if (t.urn !== READ_URN || isTestStream(graph, t.uniqueName)) continue;
    if (graph.pcollections[t.outputs.main]?.bounded !== false) continue;
    const problem = splittableReadProblem(fn(t.uniqueName) as BoundedSource);
    if (problem) out[t.uniqueName] = problem;
  }
  return out;
}
