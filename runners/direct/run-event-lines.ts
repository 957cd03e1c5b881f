/** A direct run's events as the `beamline` command prints them, one line each. */
import { BeamlineError, describeValue } from "../../sdk/errors";
import type { RunEvent } from "./contract/run-events";

/** A failure in one line, without its fix: `[CODE] where: rule (value)`, or the message of anything else thrown. */
export function failureInBrief(e: unknown): string {
  if (e instanceof BeamlineError) return `[${e.code}] ${e.where ? `${e.where}: ` : ""}${e.rule}${e.value !== undefined ? ` (${describeValue(e.value)})` : ""}`;
  return e instanceof Error ? e.message : String(e);
}

/** The line of a run event, e.g. `restart 1 of 3 in 1000 ms, from checkpoint 4, after: [BL_WORKER_DIED] …`. */
export function formatRunEvent(e: RunEvent): string {
  switch (e.type) {
    case "restart": {
      const from = e.from !== null ? `from checkpoint ${e.from}` : e.checkpointed ? "from the beginning (no checkpoint completed yet)" : "from the beginning (the run takes no checkpoints: --checkpoint-dir)";
      return `restart ${e.attempt} of ${e.attempts} in ${e.delayMs} ms, ${from}, after: ${failureInBrief(e.cause)}`;
    }
    case "checkpoint-failed":
      return `checkpoint ${e.id} failed and was abandoned (${e.consecutive} in a row; the run fails after ${e.tolerable + 1}, --tolerable-checkpoint-failures=${e.tolerable}): ${failureInBrief(e.cause)}`;
    case "code-changed":
      return `--force-code-change: resuming from ${e.dir}, taken with other code (changed: ${e.files.join(", ")}); the output mixes what the old code and the new produced`;
    case "fresh-start":
      return `--resume: ${e.reason}; the run starts from the beginning (${e.dir})`;
  }
}
