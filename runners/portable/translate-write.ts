/**
 * Writes of unbounded input on portable runners. Beamline's two-phase sinks commit once a checkpoint
 * holds what they prepared (the direct runner), or, on a portable runner, once the write's input ended
 * (shard → group in the global window → write → gather → commit): an unbounded input never ends, so
 * that path would never write. A sink that publishes what it prepares (`semantics: "at-least-once"`,
 * as `writeKafka`'s: an idempotent producer, nothing for a committer to do) instead writes each bundle
 * and flushes at the bundle's end, before the runner gets the bundle's response; any other sink of an
 * unbounded input is refused before submission, saying why and what to do.
 */
import type { WritePayload } from "../../sdk/sink";

/** Whether the sink of a write with `payload` publishes what it prepares, so each bundle can write and flush on its own. */
export function writesPerBundle(payload: WritePayload): boolean {
  return payload.semantics === "at-least-once";
}

/** Why a write with `payload` of an unbounded input cannot run on a portable runner, or null when it can (see {@link writesPerBundle}). */
export function unboundedWriteProblem(payload: WritePayload): string | null {
  if (writesPerBundle(payload)) return null;
  if (payload.sink === "kafka") {
    return 'writeKafka exactly-once of an unbounded input: Beam\'s portable runners give Beamline\'s two-phase sink no stable input and no callback once a checkpoint holds a bundle\'s output, so its transactions could not be committed exactly once — pass semantics: "at-least-once" (an idempotent producer, records flushed at the end of every bundle; a retried bundle writes its records again), or run it on the direct runner';
  }
  return "a transactional sink of an unbounded input: a portable runner commits a sink's output once its input ends, which an unbounded input never does — run it on the direct runner, or bound the input";
}
