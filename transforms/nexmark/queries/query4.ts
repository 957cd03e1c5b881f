/** Nexmark query 4, average price per category: the mean winning price of each category's closed auctions, in sliding windows. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { slidingWindows } from "../../../sdk/window";
import { mean } from "../../combiners";
import { groupBy } from "../../group";
import { windowInto } from "../../windowing";
import type { Auction } from "../auction";
import type { Bid } from "../bid";
import type { QueryParams } from "./params";
import { winningBids } from "./winning-bids";

/** The rows of query 4. */
export const CATEGORY_PRICE = schema({ category: t.float64(), price: t.float64(), windowStart: t.float64() });

/** Per category and sliding window (size `windowSizeSec`, every `windowPeriodSec`), the mean winning price. */
export function query4(auction: PCollection<Auction>, bid: PCollection<Bid>, params: QueryParams): PCollection<{ category: number; price: number; windowStart: number }> {
  return winningBids("Query4.WinningBids", auction, bid)
    .apply("Query4.Window", windowInto(slidingWindows(params.windowSizeSec * 1000, params.windowPeriodSec * 1000)))
    .apply("Query4.Mean", groupBy("category").aggregate({ price: mean("price") }))
    .map((r, { window }) => ({ category: r.category as number, price: r.price as number, windowStart: window.start }), { name: "Query4.Result", schema: CATEGORY_PRICE });
}
