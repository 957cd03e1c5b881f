/** The one-line summary of a checkpointed run's checkpoints, as the command line prints it. */

/** What {@link formatCheckpointReport} summarizes (a run's `CheckpointReport`). */
export interface CheckpointFigures {
  readonly restoredFrom: number | null;
  readonly durationsMs: readonly number[];
  readonly sizesBytes: readonly number[];
  readonly restartedFrom: readonly (number | null)[];
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * E.g. `checkpoints: 4 completed, 12 ms mean, 30 ms max, 1.2 MB mean, 2.0 MB max; resumed from checkpoint 7;
 * restarted from checkpoint 9` (a restart after a worker thread died: from which checkpoint, or from the start).
 */
export function formatCheckpointReport(r: CheckpointFigures): string {
  const n = r.durationsMs.length;
  const parts = [`checkpoints: ${n} completed`];
  if (n > 0) {
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    parts.push(
      `, ${Math.round(mean(r.durationsMs))} ms mean, ${Math.max(...r.durationsMs)} ms max, ${bytes(Math.round(mean(r.sizesBytes)))} mean, ${bytes(Math.max(...r.sizesBytes))} max`,
    );
  }
  if (r.restoredFrom !== null) parts.push(`; resumed from checkpoint ${r.restoredFrom}`);
  for (const id of r.restartedFrom) parts.push(id === null ? "; restarted from the start" : `; restarted from checkpoint ${id}`);
  return parts.join("");
}
