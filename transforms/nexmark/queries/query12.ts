/** Nexmark query 12, processing-time windows: bids per bidder, a pane `windowSizeSec` of processing time after each pane's first bid. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { afterProcessingTime, repeatedly } from "../../../sdk/trigger";
import { globalWindows } from "../../../sdk/window";
import { count } from "../../combiners";
import { groupBy } from "../../group";
import { windowInto } from "../../windowing";
import type { Bid } from "../bid";
import type { QueryParams } from "./params";
import { BIDDER } from "./query11";

/** The rows of query 12. */
export const BIDDER_COUNT = schema({ bidder: t.float64(), bidCount: t.float64() });

/** Per bidder, bid counts in panes fired by processing time (discarding: the panes add up to the total). */
export function query12(bid: PCollection<Bid>, params: QueryParams): PCollection<{ bidder: number; bidCount: number }> {
  return bid
    .map((b) => ({ bidder: b.bidder }), { name: "Query12.Rekey", schema: BIDDER })
    .apply("Query12.Window", windowInto(globalWindows(), { trigger: repeatedly(afterProcessingTime(params.windowSizeSec * 1000)), accumulation: "discarding" }))
    .apply("Query12.Count", groupBy("bidder").aggregate({ bidCount: count() }))
    .map((r) => ({ bidder: r.bidder as number, bidCount: r.bidCount as number }), { name: "Query12.Result", schema: BIDDER_COUNT });
}
