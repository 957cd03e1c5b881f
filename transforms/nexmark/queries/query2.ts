/** Nexmark query 2, selection: the bids on auctions whose id is a multiple of `auctionSkip`, as (auction, price). */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import type { Bid } from "../bid";

/** The rows of query 2. */
export const AUCTION_PRICE = schema({ auction: t.float64(), price: t.float64() });

/** Bids on every `auctionSkip`-th auction, as (auction, price). */
export function query2(bids: PCollection<Bid>, auctionSkip: number): PCollection<{ auction: number; price: number }> {
  return bids
    .filter((b) => b.auction % auctionSkip === 0, { name: "Query2.Select" })
    .map((b) => ({ auction: b.auction, price: b.price }), { name: "Query2.Project", schema: AUCTION_PRICE });
}
