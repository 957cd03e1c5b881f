/**
 * Writes of unbounded input on portable runners. Beamline's two-phase sinks commit once a checkpoint
 * holds what they prepared (the direct runner), or, on a portable runner, once the write's input ended
 * (shard → group in the global window → write → gather → commit): an unbounded input never ends, so
 * that path would never write. A sink that publishes what it prepares (`semantics: "at-least-once"`,
 * as `writeKafka`'s: an idempotent producer, nothing for a committer to do) instead writes each bundle
 * and flushes at the bundle's end, before the runner gets the bundle's response. Where the runner gives
 * stable input (Flink with checkpointing), an exactly-once sink with a sequenced writer (writeKafka's)
 * writes it exactly once: shard → global window → a stateful DoFn with `requires_stable_input` that
 * numbers each shard's rows (Beam's KafkaExactlyOnceSink). Any other sink of an unbounded input is
 * refused before submission, naming the sink, saying why and what to do.
 */
import type { PipelineGraph } from "../../sdk/graph";
import type { WritePayload } from "../../sdk/sink";
import { consumers } from "./graph-reach";
import { isTestStream } from "./translate-teststream";

/** The user-facing function of each file format's sink. */
const FILE_SINKS: Readonly<Record<string, string>> = { text: "writeText", csv: "writeCsv", jsonl: "writeJsonLines", parquet: "writeParquet", arrow: "writeArrow" };

/** Whether the sink of a write with `payload` publishes what it prepares, so each bundle can write and flush on its own. */
export function writesPerBundle(payload: WritePayload): boolean {
  return payload.semantics === "at-least-once";
}

/** The sink of a write with `payload` as users wrote it: `writeText`, `writeTo(kind)`, …. */
function sinkName(payload: WritePayload): string {
  if (payload.format !== undefined && FILE_SINKS[payload.format]) return `${FILE_SINKS[payload.format]} (a file sink)`;
  if (payload.sink !== undefined) return `writeTo (sink "${payload.sink}")`;
  return `a sink of format "${payload.format}"`;
}

/**
 * Why a write with `payload` of an unbounded input cannot run on `runner`, or null when it can (see
 * {@link writesPerBundle}). Dataflow's native Pub/Sub write is translated before this is asked.
 */
export function unboundedWriteProblem(payload: WritePayload, runner: string): string | null {
  if (writesPerBundle(payload)) return null;
  if (payload.sink === "kafka") {
    const flink = runner === "flink" ? "run with --checkpoint-dir (Flink then gives stable input)" : "run it on Flink with --checkpoint-dir";
    return `writeKafka exactly-once of an unbounded input: the ${runner} runner gives no stable input here (input replayed unchanged after a failure, handed over only once a checkpoint holds it), which Beamline's exactly-once Kafka writes on portable runners need — ${flink}, or pass semantics: "at-least-once" (an idempotent producer, records flushed at the end of every bundle; a retried bundle writes its records again), or run it on the direct runner`;
  }
  const rule = `a transactional sink of an unbounded input: on the ${runner} runner a sink's output is committed once its input ends, which an unbounded input never does, so nothing would ever be written`;
  const fix =
    runner === "dataflow"
      ? "publish the rows with writePubSub (Dataflow's native Pub/Sub write), or run it on the direct runner, whose checkpoints commit files as a stream goes"
      : 'write the rows with writeKafka and semantics: "at-least-once", or run it on the direct runner, or bound the input';
  return `${sinkName(payload)} — ${rule} — ${fix}`;
}

/**
 * The PCollections that never end: those downstream of an unbounded source other than a TestStream.
 * A TestStream's script ends (the runner drives it to the end of time), so a sink it feeds commits
 * when its input ends, as a bounded one does.
 */
export function endlessCollections(graph: PipelineGraph): Set<string> {
  const readers = consumers(graph, false);
  const endless = new Set<string>();
  const todo: string[] = [];
  for (const [name, t] of Object.entries(graph.transforms)) {
    if (t.subtransforms.length > 0 || Object.keys(t.inputs).length > 0 || isTestStream(graph, name)) continue;
    for (const pc of Object.values(t.outputs)) if (!graph.pcollections[pc].bounded) todo.push(pc);
  }
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (endless.has(pc)) continue;
    endless.add(pc);
    for (const t of readers.get(pc) ?? []) todo.push(...Object.values(t.outputs));
  }
  return endless;
}

/** Beam's requirement of a pipeline with a ParDo that needs stable input. */
export const STABLE_INPUT_REQUIREMENT = "beam:requirement:pardo:stable_input:v1";

/** Whether a write with `payload` of an unbounded input writes exactly once through its sink's sequenced writer, where the runner gives stable input. */
export function writesSequenced(payload: WritePayload): boolean {
  return payload.sink === "kafka" && payload.semantics === "exactly-once";
}
