/** Nexmark query 6, average selling price by seller: the mean of each seller's last 10 winning prices. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { groupBy } from "../../group";
import type { Auction } from "../auction";
import type { Bid } from "../bid";
import { winningBids, type WinningBid } from "./winning-bids";

/** The rows of query 6. */
export const SELLER_PRICE = schema({ seller: t.float64(), price: t.float64() });

/** How many of a seller's latest winning prices the average covers (Beam: 10). */
export const LAST_SALES = 10;

/** Per seller, the mean price of their last {@link LAST_SALES} closed auctions (by closing time, then auction id). */
export function query6(auction: PCollection<Auction>, bid: PCollection<Bid>): PCollection<{ seller: number; price: number }> {
  return winningBids("Query6.WinningBids", auction, bid)
    .apply("Query6.BySeller", groupBy<WinningBid>("seller"))
    .map(
      (g) => {
        const last = [...g.values].sort((a, b) => a.expires - b.expires || a.auction - b.auction).slice(-LAST_SALES);
        return { seller: g.values[0].seller, price: last.reduce((s, w) => s + w.price, 0) / last.length };
      },
      { name: "Query6.Average", schema: SELLER_PRICE },
    );
}
