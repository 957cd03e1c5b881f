/** Nexmark query 11, user sessions: bids per bidder per session (a gap of `windowSizeSec`), a pane at most every `maxLogEvents` bids. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { afterCount, repeatedly } from "../../../sdk/trigger";
import { sessions } from "../../../sdk/window";
import { count } from "../../combiners";
import { groupBy } from "../../group";
import { windowInto } from "../../windowing";
import type { Bid } from "../bid";
import type { QueryParams } from "./params";

/** The rows of queries 11 and 12. */
export const BIDS_PER_SESSION = schema({ bidder: t.float64(), bidCount: t.float64(), windowStart: t.float64(), windowEnd: t.float64() });
/** A bid reduced to its bidder. */
export const BIDDER = schema({ bidder: t.float64() });

/** Per bidder and session, the number of bids. */
export function query11(bid: PCollection<Bid>, params: QueryParams): PCollection<{ bidder: number; bidCount: number; windowStart: number; windowEnd: number }> {
  return bid
    .map((b) => ({ bidder: b.bidder }), { name: "Query11.Rekey", schema: BIDDER })
    .apply(
      "Query11.Sessions",
      windowInto(sessions(params.windowSizeSec * 1000), {
        trigger: repeatedly(afterCount(params.maxLogEvents)),
        accumulation: "discarding",
        allowedLateness: params.allowedLatenessSec * 1000,
      }),
    )
    .apply("Query11.Count", groupBy("bidder").aggregate({ bidCount: count() }))
    .map((r, { window }) => ({ bidder: r.bidder as number, bidCount: r.bidCount as number, windowStart: window.start, windowEnd: window.end }), { name: "Query11.Result", schema: BIDS_PER_SESSION });
}
