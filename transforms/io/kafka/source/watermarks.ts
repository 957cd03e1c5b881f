/**
 * One partition's watermark, as Flink's bounded-out-of-orderness strategy with idleness: the largest
 * event time seen less the allowed out-of-orderness, and idle once no record came for the idle
 * timeout (an idle partition does not hold the read's watermark back until its next record).
 */
export class PartitionWatermark {
  private maxEventTime = -Infinity;
  private lastRecordAt: number;

  constructor(private readonly maxOutOfOrdernessMs: number, private readonly idleTimeoutMs: number | null, now: number) {
    this.lastRecordAt = now;
  }

  /** Records with event times up to `maxEventTime` arrived at `now`: the watermark after them, if any record was seen yet. */
  observe(maxEventTime: number, now: number): number | undefined {
    if (maxEventTime > -Infinity) this.lastRecordAt = now;
    if (maxEventTime > this.maxEventTime) this.maxEventTime = maxEventTime;
    return this.maxEventTime > -Infinity ? this.maxEventTime - this.maxOutOfOrdernessMs : undefined;
  }

  /** Whether no record came for the idle timeout by `now`. */
  idle(now: number): boolean {
    return this.idleTimeoutMs !== null && now - this.lastRecordAt >= this.idleTimeoutMs;
  }
}
