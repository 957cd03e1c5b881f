/** What a direct run reports while it runs, as it happens (the `beamline` command prints each on stderr). */

/** An event of a run. */
export type RunEvent =
  /** The run failed retriably and restarts, from checkpoint `from` or (null) from the beginning. */
  | { readonly type: "restart"; readonly attempt: number; readonly attempts: number; readonly delayMs: number; readonly from: number | null; readonly checkpointed: boolean; readonly cause: unknown }
  /** Checkpoint `id` failed and was abandoned; the run goes on while no more than `tolerable` fail in a row. */
  | { readonly type: "checkpoint-failed"; readonly id: number; readonly dir: string; readonly consecutive: number; readonly tolerable: number; readonly cause: unknown }
  /** `--resume --force-code-change` resumes from a checkpoint taken with other code: these files changed. */
  | { readonly type: "code-changed"; readonly dir: string; readonly files: readonly string[] }
  /** `--resume` found no completed checkpoint to continue from, and the run starts from the beginning. */
  | { readonly type: "fresh-start"; readonly dir: string; readonly reason: string };

/** Receives a run's events. */
export type RunEvents = (event: RunEvent) => void;
