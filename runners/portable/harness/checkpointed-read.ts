/**
 * A read that checkpoints itself: reads one source part from a restriction for a bounded time, then
 * stops at the position after the last chunk delivered and returns what remains (the residual
 * restriction, with the part's watermark so far), or nothing when the part ended. While the source
 * waits for data (its `sleep`), the read waits with it until the time is up; the residual then asks
 * the runner to wait out the rest of the source's sleep before resuming; a read that delivered no data
 * in its whole budget (a Kafka partition with nothing new) asks for {@link EMPTY_READ_DELAY_MS}.
 */
import type { SourceChunk, BoundedSource, ReadContext } from "../../../sdk/source";
import type { JsonValue } from "../../../sdk/graph";
import type { ReadRestriction } from "./restriction";

/** How long (ms) the runner waits before resuming a part whose read delivered no data in its budget and asked for no wait of its own. */
export const EMPTY_READ_DELAY_MS = 200;

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

/**
 * A checkpointed read in progress, which the runner may ask to stop where it is (a checkpoint split:
 * the read delivers nothing more, and the rest of the part goes back to the runner).
 */
export class ReadInProgress {
  /** The position after the last chunk delivered or being delivered. */
  position: JsonValue | null;
  /** The part's watermark after that chunk. */
  watermark: number;
  /** When the part last delivered data (or this read began, for a part's first read). */
  lastDataAt: number | undefined;
  /** The part's source said it is idle, and no data came since. */
  idle: boolean;
  /** Data was delivered after the last position the source reported: the read cannot stop before the next one. */
  unpositioned = false;
  /** Whether the read was told to stop (its budget spent, or a checkpoint split). */
  stopped = false;
  /** Whether a checkpoint split stopped it (the runner holds the rest already). */
  split = false;
  private wakers: (() => void)[] = [];

  constructor(from: ReadRestriction) {
    this.position = from.position;
    this.watermark = from.watermark;
    this.lastDataAt = from.lastDataAt;
    this.idle = from.idle === true;
  }

  /** What remains to read from where the read is, with the watermark estimator's state. */
  rest(): ReadRestriction {
    return { position: this.position, watermark: this.watermark, ...(this.lastDataAt !== undefined ? { lastDataAt: this.lastDataAt } : {}), ...(this.idle ? { idle: true } : {}) };
  }

  /**
   * Stops the read where it is; returns what remains to read, or null when it cannot stop here
   * (data was delivered since the source's last position, or the read stopped already).
   */
  checkpoint(): ReadRestriction | null {
    if (this.stopped || this.unpositioned) return null;
    this.stopped = true;
    this.split = true;
    for (const wake of this.wakers.splice(0)) wake();
    return this.rest();
  }

  /** Waits `ms`, or less when the read is stopped meanwhile. */
  wait(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers = this.wakers.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.push(done);
    });
  }
}

/** Limits of one checkpointed read. */
export interface CheckpointedReadOptions {
  /** How long (ms) the read may take before it checkpoints. */
  readonly budgetMs: number;
  /** The clock (ms); Date.now by default. */
  readonly now?: () => number;
  /** The read's state, for a checkpoint split while it runs; a fresh one by default. */
  readonly progress?: ReadInProgress;
}

/**
 * Reads `part` of `source` from `from` until the part ends, `budgetMs` passed or a checkpoint split
 * stopped it, handing every chunk to `deliver` (in order, awaited). The source sees a run cancelled
 * once the read is stopped (its `sleep` resolves `false` then, and `cancelled` is true), so it stops at
 * a position it reported.
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
  const read = options.progress ?? new ReadInProgress(from);
  let backlog: number | undefined;
  let delayMs = 0;
  let delivered = false;
  read.lastDataAt ??= now();
  const ctx: ReadContext = {
    lastDataAt: read.lastDataAt,
    processingTime: now,
    get cancelled() {
      if (now() >= deadline) read.stopped = true;
      return read.stopped;
    },
    async sleep(ms: number): Promise<boolean> {
      const at = now();
      const until = at + Math.max(0, ms);
      await read.wait(Math.min(until, deadline) - at);
      if (!read.stopped && until <= deadline) return true;
      read.stopped = true;
      delayMs = Math.max(0, until - now());
      return false;
    },
    reportBacklog(_partition, b) {
      backlog = b.records ?? b.bytes ?? backlog;
    },
  };
  for await (const chunk of source.read(part, read.position, ctx)) {
    // A chunk that comes after a checkpoint split is not delivered: the runner's residual reads it again.
    if (read.split) break;
    // The chunk counts as read from here on (a split while it is delivered leaves it in this bundle).
    if (chunk.position !== undefined) read.position = chunk.position;
    read.unpositioned = chunk.position === undefined && (read.unpositioned || chunk.batch !== undefined);
    if (chunk.watermark !== undefined && chunk.watermark > read.watermark) read.watermark = chunk.watermark;
    if (chunk.batch && chunk.batch.data.numRows > 0) {
      delivered = true;
      read.lastDataAt = now();
      read.idle = false;
    } else if (chunk.idle) read.idle = true;
    await deliver(chunk);
    if (read.split) break;
    if (!read.unpositioned && now() >= deadline) {
      read.stopped = true;
      break;
    }
  }
  const residual = read.stopped ? read.rest() : null;
  const wait = residual && !read.split ? (delayMs > 0 || delivered ? delayMs : EMPTY_READ_DELAY_MS) : 0;
  return { residual, position: read.position, delayMs: wait, ...(backlog !== undefined ? { backlog } : {}) };
}
