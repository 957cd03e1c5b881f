/**
 * Failed checkpoints. A checkpoint that cannot be written (a full disk, a directory that became
 * unwritable) is abandoned and reported, and the run goes on: the next one commits what the sinks
 * staged meanwhile. Like Flink's `tolerableCheckpointFailureNumber`, a run tolerates a number of
 * failures in a row; one more fails it with {@link checkpointsFailed}, which a restart strategy may retry.
 */
import { IOError } from "../../../sdk/errors";

/** Failed checkpoints in a row a run tolerates unless told otherwise (Flink's default is 0). */
export const DEFAULT_TOLERABLE_CHECKPOINT_FAILURES = 3;

/** How a run treats failed checkpoints. */
export interface CheckpointFailurePolicy {
  /** Failed checkpoints in a row the run goes on after. */
  readonly tolerable: number;
  /** Told of each failed checkpoint, with how many failed in a row. */
  readonly onFailure?: (id: number, cause: unknown, consecutive: number) => void;
}

/** The error of a run whose checkpoints kept failing. */
export function checkpointsFailed(dir: string, failures: number, cause: unknown): IOError {
  return new IOError({
    code: "BL_CHECKPOINT_FAILED",
    domain: "external",
    retriable: true,
    where: dir,
    value: failures,
    rule: `checkpoints failed ${failures} times in a row, more than the run tolerates; the last: ${cause instanceof Error ? cause.message : String(cause)}`,
    fix: "make room on the checkpoint directory's disk or make it writable again, then --resume; or raise --tolerable-checkpoint-failures, or pass another --checkpoint-dir",
    cause,
  });
}
