/**
 * A read that checkpoints itself: reads one source part from a restriction for a bounded time, then
 * stops at the position after the last chunk delivered and returns what remains (the residual
 * restriction, with the part's watermark so far), or nothing when the part ended. While the source
 * waits for data (its `sleep`), the read waits with it until the time is up; the residual then asks
 * the runner to wait out the rest of the source's sleep before resuming.
 */
import type { SourceChunk, BoundedSource, ReadContext } from "../../../sdk/source";
import type { JsonValue } from "../../../sdk/graph";
import type { ReadRestriction } from "./restriction";

/** How a checkpointed read ended. */
export interface CheckpointedReadOutcome {
  /** What remains to read of the part, or null when the part ended. */
  readonly residual: ReadRestriction | null;
  /** The position after the last chunk delivered (where the read began when none was). */
  readonly position: JsonValue | null;
  /** How long (ms) the runner should wait before resuming the residual: what was left of the source's last wait. */
  readonly delayMs: number;
  /** The part's last reported backlog (records, else bytes), if the source reported one. */
  readonly backlog?: number;
}

/** Limits of one checkpointed read. */
export interface CheckpointedReadOptions {
  /** How long (ms) the read may take before it checkpoints. */
  readonly budgetMs: number;
  /** The clock (ms); Date.now by default. */
  readonly now?: () => number;
}

/**
 * Reads `part` of `source` from `from` until the part ends or `budgetMs` passed, handing every chunk to
 * `deliver` (in order, awaited). The source sees a run cancelled once the budget is spent (its `sleep`
 * resolves `false` then, and `cancelled` is true), so it stops at a position it reported.
 */
export async function checkpointedRead(
  source: BoundedSource,
  part: JsonValue,
  from: ReadRestriction,
  options: CheckpointedReadOptions,
  deliver: (chunk: SourceChunk) => Promise<void> | void,
): Promise<CheckpointedReadOutcome> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.budgetMs;
  let position = from.position;
  let watermark = from.watermark;
  let backlog: number | undefined;
  // Whether the source was told to stop: then its end is a checkpoint, not the part's end.
  let stopped = false;
  let delayMs = 0;
  const ctx: ReadContext = {
    processingTime: now,
    get cancelled() {
      if (now() >= deadline) stopped = true;
      return stopped;
    },
    async sleep(ms: number): Promise<boolean> {
      const at = now();
      const until = at + Math.max(0, ms);
      if (until <= deadline) {
        await wait(until - at);
        return true;
      }
      await wait(Math.max(0, deadline - at));
      stopped = true;
      delayMs = Math.max(0, until - now());
      return false;
    },
    reportBacklog(_partition, b) {
      backlog = b.records ?? b.bytes ?? backlog;
    },
  };
  // Data delivered since the last position the source reported: the read cannot stop before one.
  let unpositioned = false;
  for await (const chunk of source.read(part, position, ctx)) {
    await deliver(chunk);
    if (chunk.position !== undefined) position = chunk.position;
    unpositioned = chunk.position === undefined && (unpositioned || chunk.batch !== undefined);
    if (chunk.watermark !== undefined && chunk.watermark > watermark) watermark = chunk.watermark;
    if (!unpositioned && now() >= deadline) {
      stopped = true;
      break;
    }
  }
  const residual = stopped ? { position, watermark } : null;
  return { residual, position, delayMs: residual ? delayMs : 0, ...(backlog !== undefined ? { backlog } : {}) };
}

function wait(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
