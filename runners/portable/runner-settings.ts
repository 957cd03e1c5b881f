/**
 * Beamline's run settings in a portable runner's own terms: `--checkpoint-dir` and `--restart-strategy`
 * become Flink's checkpointing (interval, file checkpoint storage) and execution retries; a runner
 * that has no such settings refuses them before submission instead of ignoring them.
 */
import * as path from "node:path";
import { OptionError } from "../../sdk/errors";
import type { RunnerKind } from "./detect";

/** Checkpoints a portable run asks for: where they go and how often they are taken. */
export interface PortableCheckpointing {
  readonly dir: string;
  readonly intervalMs: number;
  /** Whether the run continues from a checkpoint (the direct runner's `--resume`). */
  readonly resume?: boolean;
}

/** What a portable run does when its job fails: give up, or retry a number of times after a delay. */
export interface PortableRestart {
  readonly kind: "none" | "fixed-delay" | "exponential-backoff";
  readonly attempts?: number;
  readonly delayMs?: number;
}

/**
 * The pipeline options (snake_case, Beam's names) that carry the settings to the `kind` runner; throws
 * an OptionError for a setting it cannot honour. `endless`: the job reads an unbounded source, so it
 * runs until cancelled.
 */
export function runnerSettings(kind: RunnerKind, settings: { checkpoint?: PortableCheckpointing; restart?: PortableRestart; endless?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { checkpoint, restart } = settings;
  if (checkpoint) {
    if (kind !== "flink") throw unsupported(kind, "--checkpoint-dir", "takes no checkpoints Beamline can direct", "leave --checkpoint-dir out (the runner recovers a failed job by running it again), or run on Flink or the direct runner");
    if (checkpoint.resume) throw unsupported(kind, "--resume", "restores a job from a savepoint Flink itself took, not from a Beamline checkpoint directory", "leave --resume out; Flink restores a running job from its latest checkpoint by itself");
    if (!Number.isInteger(checkpoint.intervalMs) || checkpoint.intervalMs <= 0) {
      throw new OptionError({ code: "BL_BAD_CHECKPOINT_INTERVAL", value: checkpoint.intervalMs, rule: "the checkpoint interval must be a positive number of milliseconds", fix: "pass --checkpoint-interval=MS, e.g. 10000" });
    }
    out.checkpointing_interval = checkpoint.intervalMs;
    out.state_backend = "filesystem";
    out.state_backend_storage_path = `file://${path.resolve(checkpoint.dir)}`;
    // With checkpointing, Beam keeps idle sources open for ever unless told otherwise, and a bounded
    // job would never end: its sources end with their input (Flink checkpoints past finished tasks). An
    // endless job keeps them open: once an impulse's source task ended, Beam's Flink runner completed no
    // further checkpoint (the task never acknowledged one), so no bundle was ever finalized.
    if (!settings.endless) out.shutdown_sources_after_idle_ms = 0;
    // A bundle open when a checkpoint comes is finished before the barrier goes downstream, so its
    // output goes on at once. Otherwise Beam's Flink runner finishes it while snapshotting and holds
    // its output until that operator starts another bundle: after an impulse (one element, ever) the
    // read's split parts stayed held for good, and the job read nothing.
    out.finish_bundle_before_checkpointing = true;
  }
  if (restart) {
    if (kind !== "flink") {
      if (restart.kind !== "none") throw unsupported(kind, "--restart-strategy", "restarts failed work itself and takes no restart strategy", "leave --restart-strategy out, or run on Flink or the direct runner");
    } else if (restart.kind === "exponential-backoff") {
      throw unsupported(kind, "--restart-strategy=exponential-backoff", "takes a number of retries and a fixed delay from Beam, not a backoff", "use --restart-strategy=fixed-delay with --restart-attempts and --restart-delay");
    } else {
      out.number_of_execution_retries = restart.kind === "none" ? 0 : (restart.attempts ?? 3);
      if (restart.kind === "fixed-delay") out.execution_retry_delay = restart.delayMs ?? 1000;
    }
  }
  return out;
}

function unsupported(kind: RunnerKind, option: string, rule: string, fix: string): OptionError {
  return new OptionError({ code: "BL_UNSUPPORTED_RUN_OPTION", where: `the ${kind} runner`, value: option, rule: `the ${kind} runner ${rule}`, fix });
}
