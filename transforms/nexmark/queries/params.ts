/** The parameters of the Nexmark queries, with Beam's NexmarkConfiguration defaults. */

/** Query parameters; every one has Beam's default. */
export interface QueryParams {
  /** Window size in seconds (queries 4, 5, 7, 8, 11 and 12). Default 10. */
  readonly windowSizeSec: number;
  /** Sliding window period in seconds (queries 4 and 5). Default 5. */
  readonly windowPeriodSec: number;
  /** Query 2 keeps bids on auctions whose id is a multiple of this. Default 123. */
  readonly auctionSkip: number;
  /** Query 11 fires a session's pane after this many bids. Default 100000. */
  readonly maxLogEvents: number;
  /** Query 11's allowed lateness in seconds (Beam: occasionalDelaySec / 2). Default 1. */
  readonly allowedLatenessSec: number;
}

/** Beam's defaults. */
export const DEFAULT_QUERY_PARAMS: QueryParams = { windowSizeSec: 10, windowPeriodSec: 5, auctionSkip: 123, maxLogEvents: 100_000, allowedLatenessSec: 1 };
