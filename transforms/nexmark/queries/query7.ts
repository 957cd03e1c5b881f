/** Nexmark query 7, highest bid: per fixed window, the bids at the window's highest price. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { fixedWindows } from "../../../sdk/window";
import { groupBy } from "../../group";
import { windowInto } from "../../windowing";
import type { Bid } from "../bid";
import type { QueryParams } from "./params";

/** The rows of query 7. */
export const HIGHEST_BID = schema({ auction: t.float64(), bidder: t.float64(), price: t.float64(), dateTime: t.float64(), windowStart: t.float64() });
const KEYED = schema({ all: t.float64(), auction: t.float64(), bidder: t.float64(), price: t.float64(), dateTime: t.float64() });

type Keyed = { all: number; auction: number; bidder: number; price: number; dateTime: number };

/** Per fixed window of `windowSizeSec`, every bid at the highest price of the window. */
export function query7(bid: PCollection<Bid>, params: QueryParams): PCollection<{ auction: number; bidder: number; price: number; dateTime: number; windowStart: number }> {
  return bid
    .map((b): Keyed => ({ all: 0, auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }), { name: "Query7.Project", schema: KEYED })
    .apply("Query7.Window", windowInto(fixedWindows(params.windowSizeSec * 1000)))
    .apply("Query7.PerWindow", groupBy<Keyed>("all"))
    .flatMap(
      (g, { window }) => {
        let top = -Infinity;
        for (const b of g.values) if (b.price > top) top = b.price;
        return g.values.filter((b) => b.price === top).map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, windowStart: window.start }));
      },
      { name: "Query7.Highest", schema: HIGHEST_BID },
    );
}
