/**
 * What the end of a followed Dataflow job means for the run: nothing to say when it is done; else an
 * error naming the state the job ended in and its error messages (the last ten), or the cancellation
 * the run asked for.
 */
import { BeamlineError } from "../../sdk/errors";
import { JobFailedError } from "../portable/runner";
import type { FollowOutcome } from "./follow";

/** The error of a job that did not end in JOB_STATE_DONE, or null when it did. */
export function jobEndError(outcome: FollowOutcome, jobId: string, consoleUrl: string): BeamlineError | null {
  const where = `dataflow job ${jobId}`;
  if (outcome.cancelRequested) {
    return new BeamlineError({ code: "BL_CANCELLED", where, value: outcome.state, rule: "the run was interrupted and the job was cancelled", fix: `see ${consoleUrl}` });
  }
  if (outcome.state === "JOB_STATE_DONE") return null;
  const errors = outcome.messages.filter((m) => m.messageImportance === "JOB_MESSAGE_ERROR").map((m) => m.messageText ?? "");
  const detail = errors.length ? `:\n${errors.slice(-10).map((t) => `  ${t.split("\n").slice(0, 12).join("\n  ")}`).join("\n")}\n` : " with no error message";
  return new JobFailedError({ code: "BL_JOB_FAILED", where, value: outcome.state, rule: `the job ended in ${outcome.state}${detail}`, fix: `see the job's logs at ${consoleUrl}` });
}
